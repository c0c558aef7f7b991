import { planFleet, planLimits } from '../plan/build.js';
import { consentingSplit, fateRules, hostFates, type HostFates } from '../plan/fates.js';
import type { HostStrategy, Plan, PlanGuest, PlanLimits, PlanningInput, Strategy } from '../plan/index.js';
import { daemonsClause, dueClause, list, plural, rebootReason } from './explain.js';
import type { TaskKind } from './tasks.js';

/** A host's strategy with what the scheduler needs to carry it out. */
export interface Decision extends HostStrategy {
  kind: TaskKind;
  fates: HostFates;
  /** Guests to live-migrate; consenting ones among them may still stop if no room is found. */
  moves: PlanGuest[];
  /** Running guests that stop in place (reboot) or restart (QEMU). */
  stops: PlanGuest[];
  /** Why activation is deferred, for `deferred[]`. */
  deferredBecause?: string;
}

/**
 * The least disruptive way to make each host's fixes take effect, with one sentence an
 * operator can check. All of a host's needs are combined: a reboot covers every fix, so a
 * host that reboots is neither live patched nor restarts daemons.
 */
export function chooseStrategies(input: PlanningInput): HostStrategy[] {
  const fleet = planFleet(input.fleet, input.work);
  const limits = planLimits(input.fleet, input.policy);
  return decide(input, fleet, limits).map(({ host, strategy, explanation }) => ({
    host,
    strategy,
    explanation,
  }));
}

export function decide(input: PlanningInput, fleet: Plan['fleet'], limits: PlanLimits): Decision[] {
  const rules = fateRules(input.fleet.services, limits, input.policy.migration);
  return hostFates(input, fleet, rules).map((fates) => decideHost(fates, limits));
}

function decideHost(fates: HostFates, limits: PlanLimits): Decision {
  const { work, host } = fates;
  const defer = (because: string): Decision => ({
    host: host.id,
    strategy: 'defer-activation',
    explanation: `Install now and defer activation${dueClause(work)}: ${because}.`,
    kind: 'defer',
    fates,
    moves: [],
    stops: [],
    deferredBecause: because,
  });
  if (fates.blockedBy !== undefined) return defer(fates.blockedBy);
  const { stopping, moving: movingEither } = consentingSplit(fates, limits);
  const moves = [...fates.migrate, ...movingEither];
  const stops = [...fates.stop, ...stopping];
  const decided = (strategy: Strategy, kind: TaskKind, explanation: string): Decision => ({
    host: host.id,
    strategy,
    explanation,
    kind,
    fates,
    moves,
    stops,
  });

  const moving = moves.length;
  if (work.needsReboot) {
    const reason = rebootReason(work);
    if (moves.length === 0) {
      const who =
        stops.length === 0
          ? 'no guest runs on it'
          : `all ${plural(stops.length, 'running guest')} may be stopped (their owners consented, or they are cold)`;
      return decided(
        'in-place-reboot',
        'in-place',
        `Reboot in place: ${reason}, and ${who}, so they stop before the reboot and start after it.`,
      );
    }
    const stopping =
      stops.length > 0 ? `; ${plural(stops.length, 'guest')} stop in place (owners consented, or cold)` : '';
    return decided(
      'evacuate-reboot',
      'evacuate',
      `Evacuate, then reboot: ${reason}; its ${plural(moving, 'running guest')} live-migrate to patched hosts first${stopping}.`,
    );
  }
  if (fates.vacate) return decideGuestMoves(fates, moving, stops.length, decided);
  if (work.livePatch)
    return decided(
      'live-patch',
      'in-service',
      `Live patch ${work.livePatch.id}: it carries the kernel fixes into the running kernel${daemonsClause(work)}, so the host needs no reboot.`,
    );
  if (work.restartDaemons.length > 0)
    return decided(
      'restart-daemons',
      'in-service',
      `Restart ${list(work.restartDaemons, 4)}: only daemons map the updated packages; guests are not touched.`,
    );
  return decided(
    'none',
    'install',
    'Install only: no running kernel, daemon or guest uses the updated packages.',
  );
}

/**
 * New QEMU, no reboot: running guests keep the old binary until they move to a host that
 * already runs the new one, or (with consent) restart. There is no strategy name for this
 * in the plan file; the closest are used, and the sentence says what really happens.
 */
function decideGuestMoves(
  fates: HostFates,
  moving: number,
  restarting: number,
  decided: (strategy: Strategy, kind: TaskKind, explanation: string) => Decision,
): Decision {
  const { work } = fates;
  const restarts =
    restarting > 0
      ? `; ${plural(restarting, 'guest')} restart in place instead (owners consented, or cold)`
      : '';
  const guests = `its ${plural(moving, 'running guest')} live-migrate to hosts already running the new QEMU${restarts}`;
  if (work.livePatch)
    return decided(
      'live-patch',
      'in-service',
      `Live patch ${work.livePatch.id} for the kernel${daemonsClause(work)}; QEMU is updated, so ${guests}; no reboot.`,
    );
  if (moving === 0)
    return decided(
      'in-place-reboot',
      'in-service',
      `Restart guests in place: QEMU is updated and all ${plural(restarting, 'running guest')} may be restarted (owners consented, or cold)${daemonsClause(work)}; the host itself does not reboot.`,
    );
  return decided(
    'evacuate-reboot',
    'in-service',
    `Move guests off the old QEMU: ${guests}${daemonsClause(work)}; the host itself needs no reboot.`,
  );
}
