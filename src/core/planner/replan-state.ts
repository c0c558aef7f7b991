import type { Plan, PlanAction } from '../plan/index.js';
import { COLD, LIVE, type FleetIndex } from './fleet-index.js';
import { interimReason } from './host-job.js';
import type { Rewritten } from './replan-events.js';
import type { Seed } from './schedule.js';
import type { Gate, GuestRules, HostTask, TaskKind } from './tasks.js';

/** What a replan keeps, and what it hands to the scheduler to plan anew. */
export interface ReplanState {
  /** Actions that started before now, and the remaining steps of hosts already rebooting. */
  kept: PlanAction[];
  tasks: HostTask[];
  gates: Gate[];
  seed: Seed;
  rules: GuestRules;
  initiallyFinal: Uint8Array;
}

/** Seconds from the plan to the scheduler's whole milliseconds, undoing the planner's own division exactly. */
export function toMs(seconds: number): number {
  const ms = seconds * 1000;
  const whole = Math.round(ms);
  return Math.abs(ms - whole) < 1e-6 ? whole : Math.ceil(ms);
}

/** The replan's start in whole milliseconds, never before `nowS`, so nothing new starts before now. */
export function nowMs(nowS: number): number {
  const ms = toMs(nowS);
  return ms / 1000 < nowS ? ms + 1 : ms;
}

interface HostHistory {
  actions: PlanAction[];
  reboot?: PlanAction;
  disable?: PlanAction;
  enable?: PlanAction;
}

/**
 * Reads where the campaign stands at `nowS`: hosts done, hosts rebooting (their last steps
 * are kept as planned), hosts draining (their remaining guests are placed anew), hosts not
 * started (planned anew, in their stages' order); guests where the finished moves put them.
 */
export function replanState(plan: Plan, rewritten: Rewritten, fleet: FleetIndex, nowS: number): ReplanState {
  const now = nowMs(nowS);
  const H = fleet.hosts.length;
  const histories: HostHistory[] = Array.from({ length: H }, () => ({ actions: [] }));
  const ordered = byStart(rewritten.actions);
  for (const action of ordered) {
    const history = histories[fleet.hostIndex.get(action.host)!]!;
    history.actions.push(action);
    if (action.kind === 'reboot') history.reboot ??= action;
    if (action.kind === 'disable') history.disable ??= action;
    if (action.kind === 'enable') history.enable = action;
  }
  const strategyOf = new Map(plan.strategies.map((entry) => [entry.host, entry.strategy]));
  const started = (action: PlanAction) => action.startS < nowS;

  const kept: PlanAction[] = [];
  const seed: Seed = {
    guestHost: Int32Array.from(fleet.guestHost),
    installedAt: new Float64Array(H).fill(Infinity),
    migrations: [],
    stopped: [],
    out: [],
    resumed: [],
    wave: new Int32Array(H).fill(-1),
    firstGateAt: now,
    movedReason: new Array<string | undefined>(fleet.guests.length),
  };
  const final = new Uint8Array(H);
  const tasks: HostTask[] = [];
  const stageOf = new Map<number, string>();
  const underWay = new Set<number>();

  histories.forEach((history, h) => {
    const id = fleet.hosts[h]!.id;
    for (const action of history.actions) {
      if (action.kind === 'install' && started(action))
        seed.installedAt[h] = Math.min(seed.installedAt[h]!, toMs(action.endS));
      if (action.wave !== undefined) seed.wave[h] = action.wave;
      if (action.stage !== undefined && !stageOf.has(h)) stageOf.set(h, action.stage);
    }
    const down = rewritten.down.has(id);
    const rebooting = history.reboot !== undefined && started(history.reboot);
    if (down || rebooting) {
      kept.push(...history.actions);
      const until = down || !history.enable ? Infinity : toMs(history.enable.endS);
      if (until > now) {
        seed.out.push({ host: h, until });
        if (!down) underWay.add(h);
      } else final[h] = 1;
      return;
    }
    kept.push(...history.actions.filter(started));
    const future = history.actions.filter((action) => !started(action));
    const kind = taskKind(history, strategyOf.get(id));
    if (kind === undefined || future.length === 0) {
      final[h] = fleet.disabled[h] || strategyOf.get(id) === 'defer-activation' ? 0 : 1;
      return;
    }
    const draining = history.disable !== undefined && started(history.disable);
    const begun = draining || history.actions.some((action) => action.kind !== 'install' && started(action));
    const task = futureTask(h, kind, history, future, fleet, seed.guestHost);
    tasks.push(task);
    if (begun) {
      const running = history.actions.filter((a) => a.kind === 'migrate' && started(a) && a.endS > nowS);
      const disabled = history.disable && started(history.disable) ? toMs(history.disable.endS) : now;
      const from = Math.max(now, disabled, ...running.map((a) => toMs(a.endS)));
      seed.resumed.push({ host: h, from, out: draining });
      underWay.add(h);
    }
    final[h] = kind === 'install' || (kind === 'in-service' && task.affected.length === 0) ? 1 : 0;
  });

  // In the plan's own order, so that what is kept reads exactly as it did.
  const keeping = new Set(kept);
  const inOrder = rewritten.actions.filter((action) => keeping.has(action));
  applyHistory(inOrder, nowS, fleet, seed);
  parkedGuests(inOrder, fleet, final, seed);
  const gates = stageGates(plan, tasks, underWay, stageOf, histories, seed, nowS);
  return { kept: inOrder, tasks, gates, seed, rules: rulesFor(fleet, rewritten), initiallyFinal: final };
}

/** Plans are written in start order; sorting is only needed for one edited by hand. */
function byStart(actions: readonly PlanAction[]): readonly PlanAction[] {
  for (let i = 1; i < actions.length; i++)
    if (actions[i]!.startS < actions[i - 1]!.startS) return [...actions].sort((a, b) => a.startS - b.startS);
  return actions;
}

function taskKind(history: HostHistory, strategy: string | undefined): TaskKind | undefined {
  if (history.reboot) return strategy === 'in-place-reboot' ? 'in-place' : 'evacuate';
  const acts = (kind: PlanAction['kind']) => history.actions.some((action) => action.kind === kind);
  if (acts('livepatch') || acts('restart-daemon') || acts('migrate') || acts('stop-guest'))
    return 'in-service';
  if (strategy === 'defer-activation') return 'defer';
  return acts('install') ? 'install' : undefined;
}

/** What is left of a host's work: the steps not started, and for one in service the guests still to move off its old QEMU. */
function futureTask(
  h: number,
  kind: TaskKind,
  history: HostHistory,
  future: readonly PlanAction[],
  fleet: FleetIndex,
  guestHost: Int32Array,
): HostTask {
  const install = future.find((action) => action.kind === 'install');
  const affected = new Set<number>();
  if (kind === 'in-service')
    for (const action of future)
      if ((action.kind === 'migrate' || action.kind === 'stop-guest') && action.guest !== undefined) {
        const g = fleet.guestIndex.get(action.guest);
        if (g !== undefined && guestHost[g] === h) affected.add(g);
      }
  return {
    host: h,
    kind,
    packages: install?.packages ?? [],
    ...(future.some((action) => action.kind === 'livepatch') ? { livePatch: 'as planned' } : {}),
    daemons: future
      .filter((action) => action.kind === 'restart-daemon')
      .map((action) => action.daemon ?? 'daemon'),
    rebootMs: history.reboot ? toMs(history.reboot.endS - history.reboot.startS) : 0,
    affected: [...affected],
    finalAfterInstall: kind === 'in-service' && affected.size > 0,
    // The plan file keeps no deadlines: a replan keeps the stages' order and goes longest first.
    dueMs: Infinity,
    severity: 5,
    gate: 0,
  };
}

/** Moves finished by now put their guests on the target; running ones and stopped guests hold what they hold until they end. */
function applyHistory(kept: readonly PlanAction[], nowS: number, fleet: FleetIndex, seed: Seed): void {
  const byEnd = [...kept].sort((a, b) => a.endS - b.endS);
  const startedAgain = new Map<string, number>();
  for (const action of byEnd)
    if (action.kind === 'start-guest' && action.guest !== undefined)
      startedAgain.set(action.guest, toMs(action.endS));
  for (const action of byEnd) {
    const guest = action.guest === undefined ? undefined : fleet.guestIndex.get(action.guest);
    if (guest === undefined) continue;
    if (action.kind === 'migrate' && action.to !== undefined) {
      const source = fleet.hostIndex.get(action.host)!;
      const target = fleet.hostIndex.get(action.to)!;
      if (action.endS <= nowS) seed.guestHost[guest] = target;
      else seed.migrations.push({ guest, source, target, end: toMs(action.endS) });
    } else if (action.kind === 'stop-guest') {
      const until = startedAgain.get(action.guest!) ?? Infinity;
      if (until > toMs(nowS)) seed.stopped.push({ guest, until });
    }
  }
}

/** Guests whose last move landed them on a host that still reboots: they move again, for the reason the plan had. */
function parkedGuests(kept: readonly PlanAction[], fleet: FleetIndex, final: Uint8Array, seed: Seed): void {
  const lastMove = new Map<number, PlanAction>();
  for (const action of kept) {
    if (action.kind !== 'migrate' || action.guest === undefined || action.to === undefined) continue;
    const guest = fleet.guestIndex.get(action.guest);
    if (guest !== undefined) lastMove.set(guest, action);
  }
  for (const [guest, action] of lastMove) {
    const target = fleet.hostIndex.get(action.to!)!;
    if (!final[target])
      seed.movedReason[guest] = interimReason(fleet, fleet.hostIndex.get(action.host)!, target);
  }
}

/**
 * One gate per stage that still has work, in the plan's order; the soak between two stages
 * is what the plan left between them. A stage under way opens now; the next one no
 * earlier than the plan opened it.
 */
function stageGates(
  plan: Plan,
  tasks: HostTask[],
  underWay: ReadonlySet<number>,
  stageOf: ReadonlyMap<number, string>,
  histories: readonly HostHistory[],
  seed: Seed,
  nowS: number,
): Gate[] {
  const firstStart = new Map<string, number>();
  for (const action of plan.actions) {
    const stage = action.stage ?? '';
    firstStart.set(stage, Math.min(firstStart.get(stage) ?? Infinity, action.startS));
  }
  const order = [...firstStart.keys()].sort(
    (a, b) => firstStart.get(a)! - firstStart.get(b)! || (a < b ? -1 : 1),
  );
  // A stage's soak: from its last step that ended before the next stage began, to that beginning.
  const lastEnd = new Map<string, number>();
  order.forEach((stage, i) => {
    const next = i + 1 < order.length ? firstStart.get(order[i + 1]!)! : Infinity;
    for (const action of plan.actions)
      if ((action.stage ?? '') === stage && action.endS <= next)
        lastEnd.set(stage, Math.max(lastEnd.get(stage) ?? -Infinity, action.endS));
  });
  const members = new Map<string, number[]>();
  const joined = new Set<number>();
  const join = (h: number) => {
    if (joined.has(h)) return;
    joined.add(h);
    const stage = stageOf.get(h) ?? '';
    const list = members.get(stage);
    if (list) list.push(h);
    else members.set(stage, [h]);
  };
  for (const task of tasks) join(task.host);
  for (const h of underWay) join(h);
  const gates: Gate[] = [];
  let previous: string | undefined;
  for (const stage of order) {
    const hosts = members.get(stage);
    if (!hosts) continue;
    const soakMs = 0;
    if (gates.length > 0 && previous !== undefined) {
      const gap = firstStart.get(stage)! - (lastEnd.get(previous) ?? firstStart.get(stage)!);
      gates[gates.length - 1]!.soakMs = Math.max(0, toMs(gap));
    }
    gates.push({ stage, soakMs, hosts });
    previous = stage;
  }
  const gateOf = new Map<number, number>();
  gates.forEach((gate, g) => gate.hosts.forEach((h) => gateOf.set(h, g)));
  for (const task of tasks) task.gate = gateOf.get(task.host)!;
  const first = gates[0];
  if (
    first &&
    !first.hosts.some(
      (h) => underWay.has(h) || histories[h]!.actions.some((a) => a.kind !== 'install' && a.startS < nowS),
    )
  )
    seed.firstGateAt = Math.max(nowMs(nowS), toMs(firstStart.get(first.stage)!));
  return gates;
}

/** From the plan's own rows: live guests may move unless their service may lose none; guests the plan stopped, and cold ones, may stop. */
function rulesFor(fleet: FleetIndex, rewritten: Rewritten): GuestRules {
  const G = fleet.guests.length;
  const canMove = new Uint8Array(G);
  const canStop = new Uint8Array(G);
  for (let g = 0; g < G; g++) {
    const service = fleet.service[g]!;
    const budget = service < 0 ? Infinity : fleet.budget[service]!;
    canMove[g] = fleet.mobility[g] === LIVE && fleet.running[g] && budget > 0 ? 1 : 0;
    canStop[g] = fleet.mobility[g] === COLD && budget > 0 ? 1 : 0;
  }
  for (const action of rewritten.actions)
    if (action.kind === 'stop-guest' && action.guest !== undefined) {
      const g = fleet.guestIndex.get(action.guest);
      if (g !== undefined) canStop[g] = 1;
    }
  return { canMove, canStop };
}
