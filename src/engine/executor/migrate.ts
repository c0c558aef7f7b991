import { Conflict, HvpatchError, Unavailable } from '../../core/errors.js';
import type { PlatformGuest } from '../../core/ports.js';
import type { ActionRecord, LeaseFence } from '../../store/index.js';
import { isLeaseLost, reserveBudget } from './budget.js';
import type { WorkerContext } from './context.js';
import { backoff } from './policy.js';
import { probe } from './probe.js';
import { failed, succeeded, type ActionResult } from './result.js';
import { settleMigration } from './settle.js';
import { chooseTarget } from './targets.js';

/**
 * One planned (or guard-added) live migration. The platform is asked first, every round,
 * where the guest is, so a migration that happened behind a lost answer is never repeated; a
 * failed one is tried again on another valid target, chosen now from the platform's state.
 */
export async function migrate(
  ctx: WorkerContext,
  action: ActionRecord,
  lease: LeaseFence,
  onFailure: (why: string) => Promise<void>,
): Promise<ActionResult> {
  const { platform, policy, clock } = ctx;
  const guest = action.guest!;
  const tried = new Set<string>();
  /** Why each tried target did not take the guest: what the platform said, for the audit trail. */
  const reasons = new Map<string, string>();
  const deadline = clock.now() + policy.guardWaitMs;
  let errors = 0;
  let pause = 0;
  let launched = false;
  for (;;) {
    if (pause > 0) await clock.sleep(backoff(policy, pause - 1));
    pause = 0;
    try {
      const seen = await probe(ctx, action);
      errors = 0;
      if (seen.state === 'done') return succeeded({ ...seen.detail, moved: launched, tried: [...tried] });
      if (seen.state === 'impossible') return failed(seen.reason);
      if (seen.state === 'in-progress') {
        const status = await settleMigration(ctx, seen.migration!, (s) =>
          onFailure(`migration ${s.id} to ${s.target} hung; aborting it`),
        );
        if (status !== undefined && status.phase !== 'completed') {
          tried.add(status.target);
          reasons.set(status.target, `ended ${status.phase}: ${status.reason ?? 'no reason given'}`);
          await onFailure(`migration to ${status.target} ended ${status.phase}: ${status.reason ?? ''}`);
        }
        continue;
      }
      if (tried.size >= policy.migrationTargets)
        return failed(
          `guest ${guest} could not be moved: ${tried.size} targets failed (${triedWithReasons(tried, reasons)})`,
          { tried: [...tried], reasons: Object.fromEntries(reasons) },
        );
      const hosts = await platform.listHosts();
      const guests = await platform.listGuests();
      const target = chooseTarget(ctx, action, tried, hosts, guests, await landing(ctx, guest, guests));
      if (target === undefined) {
        if (clock.now() >= deadline)
          return failed(`no valid target for guest ${guest} (tried: ${triedWithReasons(tried, reasons)})`);
        pause = Math.min(errors + 1, 6);
        continue;
      }
      const release = await reserveBudget(ctx, lease, guest);
      if (release === undefined) return failed(`the budget of guest ${guest}'s service stayed full`);
      const unclaim = claim(ctx.launching, target, guest);
      try {
        await platform.liveMigrate(guest, target);
        launched = true;
      } catch (error) {
        // The platform refused this target (its scheduler, anti-affinity): another is tried.
        // Nothing moved, so it is no failed migration, but its reason belongs in the trail.
        if (error instanceof Conflict) {
          tried.add(target);
          reasons.set(target, `refused: ${error.message}`);
          await ctx.store.recordEvent(
            {
              campaignId: action.campaignId,
              actor: ctx.worker,
              kind: 'migration-refused',
              host: action.host,
              guest,
              action: action.seq,
              reason: error.message,
              data: { target },
            },
            clock.now(),
          );
        }
        throw error;
      } finally {
        unclaim();
        await release();
      }
    } catch (error) {
      if (!(error instanceof HvpatchError) || isLeaseLost(error)) throw error;
      if (
        ++errors >= policy.attempts * 2 ||
        !(error instanceof Conflict || error.retryable) ||
        clock.now() >= deadline
      )
        return giveUp(ctx, action, failed(error.message), launched);
      if (error instanceof Conflict) continue;
      pause = errors;
    }
  }
}

/**
 * Where the guests of `guest`'s anti-affinity group that are migrating now will land: until
 * the switch-over the platform still shows them on their source, yet their target must already
 * count as holding them, or two of a group could be sent to one host.
 */
async function landing(
  ctx: WorkerContext,
  guest: string,
  guests: readonly PlatformGuest[],
): Promise<{ guest: string; host: string }[]> {
  const group = ctx.guestsById.get(guest)?.antiAffinityGroup ?? null;
  if (group === null) return [];
  const moving = guests.filter(
    (g) =>
      g.guest !== guest &&
      g.state === 'migrating' &&
      g.migration !== undefined &&
      ctx.guestsById.get(g.guest)?.antiAffinityGroup === group,
  );
  const found: { guest: string; host: string }[] = [];
  for (const g of moving) {
    const status = await ctx.platform.migrationStatus(g.migration!);
    if (!status.finished || status.phase === 'completed') found.push({ guest: g.guest, host: status.target });
  }
  // Launched by this worker but not yet shown by the platform.
  for (const [host, launching] of ctx.launching)
    for (const other of launching)
      if (other !== guest && ctx.guestsById.get(other)?.antiAffinityGroup === group)
        found.push({ guest: other, host });
  return found;
}

function triedWithReasons(tried: ReadonlySet<string>, reasons: ReadonlyMap<string, string>): string {
  if (tried.size === 0) return 'none';
  return [...tried].map((host) => (reasons.has(host) ? `${host}, ${reasons.get(host)}` : host)).join('; ');
}

function claim(launching: Map<string, Set<string>>, host: string, guest: string): () => void {
  const set = launching.get(host) ?? new Set<string>();
  launching.set(host, set.add(guest));
  return () => {
    set.delete(guest);
    if (set.size === 0) launching.delete(host);
  };
}

/**
 * A migration is failed only once the guest is known not to be moving: one launched behind
 * a lost answer may still be running, and would otherwise complete with no action to show for it.
 */
async function giveUp(
  ctx: WorkerContext,
  action: ActionRecord,
  result: ActionResult,
  launched: boolean,
): Promise<ActionResult> {
  for (let attempt = 0; attempt < ctx.policy.attempts * 4; attempt++) {
    try {
      const seen = await probe(ctx, action);
      if (seen.state === 'done') return succeeded({ ...seen.detail, moved: launched });
      if (seen.state !== 'in-progress') return result;
      await settleMigration(ctx, seen.migration!, async () => undefined);
    } catch (error) {
      if (!(error instanceof HvpatchError) || !error.retryable) throw error;
      await ctx.clock.sleep(backoff(ctx.policy, Math.min(attempt, 4)));
    }
  }
  throw new Unavailable(`cannot tell whether guest ${action.guest} is still migrating`);
}
