import type { Plan, PlanAction } from '../plan/index.js';
import { COLD, LIVE, type FleetIndex } from './fleet-index.js';
import { interimReason } from './host-job.js';
import type { Rewritten } from './replan-events.js';
import type { Seed } from './schedule.js';
import type { Gate, GuestRules, HostTask, TaskKind } from './tasks.js';

/** What a replan keeps, and what it hands to the scheduler to plan anew. */
export interface ReplanState {
  /** Actions that started before now, and the remaining closing steps of hosts past draining, in the plan's order. */
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

/**
 * What a host does once its guests are gone, in this order: guests that stay stop, it
 * reboots, is verified, they start again, it is enabled. Once one of these began the host
 * is past draining, and a replan keeps the rest as planned: its stopped guests are not
 * running to be moved, and only these steps bring them and the host back.
 */
const CLOSING = new Set<PlanAction['kind']>(['stop-guest', 'reboot', 'verify', 'start-guest', 'enable']);

/** One host's actions, and what a replan asks of them, gathered in one pass over the plan. */
interface HostHistory {
  actions: PlanAction[];
  reboot?: PlanAction;
  disable?: PlanAction;
  enable?: PlanAction;
  /** Some step other than the install started before now. */
  begun: boolean;
  /** One of its closing steps started before now. */
  closing: boolean;
  /** Steps that start at or after now. */
  future: number;
  /** The latest end of its migrations running at now; -Infinity when none runs. */
  runningUntil: number;
  /** The earliest end of an install started before now; Infinity when none did. */
  installedAt: number;
  /** It rebooted or was verified: its work took effect (unlike a host put back unpatched). */
  patched: boolean;
  /** The plan's wave (the last one its steps name) and stage (the first one). */
  wave?: number;
  stage?: string;
}

/** Every host's history at `nowS`, its actions in start order; `hostOf` gets each action's host. */
function histories(
  actions: readonly PlanAction[],
  fleet: FleetIndex,
  nowS: number,
  hostOf: Int32Array,
): HostHistory[] {
  const result: HostHistory[] = Array.from({ length: fleet.hosts.length }, () => ({
    actions: [],
    begun: false,
    closing: false,
    future: 0,
    runningUntil: -Infinity,
    installedAt: Infinity,
    patched: false,
  }));
  for (const i of byStart(actions)) {
    const action = actions[i]!;
    const host = fleet.hostIndex.get(action.host)!;
    hostOf[i] = host;
    const history = result[host]!;
    history.actions.push(action);
    if (action.kind === 'reboot') history.reboot ??= action;
    if (action.kind === 'disable') history.disable ??= action;
    if (action.kind === 'enable') history.enable = action;
    if (action.kind === 'reboot' || action.kind === 'verify') history.patched = true;
    if (action.wave !== undefined) history.wave = action.wave;
    history.stage ??= action.stage;
    if (action.startS >= nowS) {
      history.future++;
      continue;
    }
    if (action.kind === 'install') history.installedAt = Math.min(history.installedAt, toMs(action.endS));
    else history.begun = true;
    if (CLOSING.has(action.kind)) history.closing = true;
    if (action.kind === 'migrate' && action.endS > nowS)
      history.runningUntil = Math.max(history.runningUntil, action.endS);
  }
  return result;
}

/**
 * Reads where the campaign stands at `nowS`: hosts done, hosts past draining (their last
 * steps are kept as planned), hosts draining (their remaining guests are placed anew), hosts not
 * started (planned anew, in their stages' order); guests where the finished moves put them.
 */
export function replanState(plan: Plan, rewritten: Rewritten, fleet: FleetIndex, nowS: number): ReplanState {
  const now = nowMs(nowS);
  const H = fleet.hosts.length;
  const { actions } = rewritten;
  const hostOf = new Int32Array(actions.length);
  const history = histories(actions, fleet, nowS, hostOf);
  const strategyOf = new Map(plan.strategies.map((entry) => [entry.host, entry.strategy]));
  const started = (action: PlanAction) => action.startS < nowS;

  const seed: Seed = {
    guestHost: Int32Array.from(fleet.guestHost),
    installedAt: new Float64Array(H).fill(Infinity),
    migrations: [],
    stopped: [],
    closing: [],
    resumed: [],
    wave: new Int32Array(H).fill(-1),
    firstGateAt: now,
    movedReason: new Array<string | undefined>(fleet.guests.length),
    plannedTarget: new Int32Array(fleet.guests.length).fill(-1),
  };
  const final = new Uint8Array(H);
  /** Hosts all of whose steps are kept; of the others, the steps started before now. */
  const keepAll = new Uint8Array(H);
  const tasks: HostTask[] = [];
  const stageOf = new Map<number, string>();
  const underWay = new Set<number>();

  for (let h = 0; h < H; h++) {
    const past = history[h]!;
    const id = fleet.hosts[h]!.id;
    seed.installedAt[h] = past.installedAt;
    if (past.wave !== undefined) seed.wave[h] = past.wave;
    if (past.stage !== undefined) stageOf.set(h, past.stage);
    const down = rewritten.down.has(id);
    if (down || past.closing) {
      keepAll[h] = 1;
      const out = past.disable !== undefined || past.reboot !== undefined;
      const until = closedAt(past, down, out);
      if (until > now) {
        seed.closing.push({ host: h, until, out, patched: past.patched });
        if (!down) underWay.add(h);
      } else final[h] = past.patched ? 1 : 0;
      continue;
    }
    const kind = taskKind(past, strategyOf.get(id));
    if (kind === undefined || past.future === 0) {
      final[h] = fleet.disabled[h] || strategyOf.get(id) === 'defer-activation' ? 0 : 1;
      continue;
    }
    const future = past.actions.filter((action) => !started(action));
    const task = futureTask(h, kind, past, future, fleet, seed.guestHost);
    planTargets(future, fleet, seed.plannedTarget);
    tasks.push(task);
    const draining = past.disable !== undefined && started(past.disable);
    if (draining || past.begun) {
      const disabled = draining ? toMs(past.disable!.endS) : now;
      const from = Math.max(now, disabled, toMs(past.runningUntil));
      seed.resumed.push({ host: h, from, out: draining });
      underWay.add(h);
    }
    final[h] = kind === 'install' || (kind === 'in-service' && task.affected.length === 0) ? 1 : 0;
  }

  // In the plan's own order, so that what is kept reads exactly as it did.
  const kept = actions.filter((action, i) => started(action) || keepAll[hostOf[i]!] === 1);
  applyHistory(kept, nowS, fleet, final, seed);
  const gates = stageGates(plan, tasks, underWay, stageOf, history, seed, nowS);
  return { kept, tasks, gates, seed, rules: rulesFor(fleet, rewritten), initiallyFinal: final };
}

/**
 * When a closing host is back: its enable's end, or for one that stays in service its
 * last step's; never for one that did not come back, or that the plan leaves out.
 */
function closedAt(history: HostHistory, down: boolean, out: boolean): number {
  if (down) return Infinity;
  if (history.enable) return toMs(history.enable.endS);
  if (out) return Infinity;
  return toMs(Math.max(...history.actions.map((action) => action.endS)));
}

/** The actions' positions in start order. Plans are written so; sorting is only needed for one edited by hand. */
function byStart(actions: readonly PlanAction[]): Iterable<number> {
  const positions = actions.keys();
  for (let i = 1; i < actions.length; i++)
    if (actions[i]!.startS < actions[i - 1]!.startS)
      return [...positions].sort((a, b) => actions[a]!.startS - actions[b]!.startS);
  return positions;
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

/** Where the plan still sends each guest of these steps, for the scheduler to try first. */
function planTargets(future: readonly PlanAction[], fleet: FleetIndex, plannedTarget: Int32Array): void {
  for (const action of future) {
    if (action.kind !== 'migrate' || action.guest === undefined || action.to === undefined) continue;
    const guest = fleet.guestIndex.get(action.guest);
    const target = fleet.hostIndex.get(action.to);
    if (guest !== undefined && target !== undefined) plannedTarget[guest] = target;
  }
}

/**
 * Moves finished by now put their guests on the target; running ones and stopped guests
 * hold what they hold until they end; a guest whose last move landed it on a host that
 * still reboots moves again, for the reason the plan had. One pass in the plan's order:
 * a guest's moves never overlap, so they end in the order they start.
 */
function applyHistory(
  kept: readonly PlanAction[],
  nowS: number,
  fleet: FleetIndex,
  final: Uint8Array,
  seed: Seed,
): void {
  const startedAgain = new Map<number, number>();
  const running: { move: Seed['migrations'][number]; endS: number }[] = [];
  const stops: { guest: number; endS: number }[] = [];
  const lastMove = new Map<number, PlanAction>();
  for (const action of kept) {
    const guest = action.guest === undefined ? undefined : fleet.guestIndex.get(action.guest);
    if (guest === undefined) continue;
    if (action.kind === 'migrate' && action.to !== undefined) {
      const source = fleet.hostIndex.get(action.host)!;
      const target = fleet.hostIndex.get(action.to)!;
      lastMove.set(guest, action);
      if (action.endS <= nowS) seed.guestHost[guest] = target;
      else running.push({ move: { guest, source, target, end: toMs(action.endS) }, endS: action.endS });
    } else if (action.kind === 'stop-guest') stops.push({ guest, endS: action.endS });
    else if (action.kind === 'start-guest') startedAgain.set(guest, toMs(action.endS));
  }
  // In the order they end, as the scheduler's clock would have met them.
  running.sort((a, b) => a.endS - b.endS);
  for (const { move } of running) seed.migrations.push(move);
  stops.sort((a, b) => a.endS - b.endS);
  for (const { guest } of stops) {
    const until = startedAgain.get(guest) ?? Infinity;
    if (until > toMs(nowS)) seed.stopped.push({ guest, until });
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
  const nextStart = new Map(
    order.map((stage, i) => [stage, i + 1 < order.length ? firstStart.get(order[i + 1]!)! : Infinity]),
  );
  const lastEnd = new Map<string, number>();
  for (const action of plan.actions) {
    const stage = action.stage ?? '';
    if (action.endS <= nextStart.get(stage)!)
      lastEnd.set(stage, Math.max(lastEnd.get(stage) ?? -Infinity, action.endS));
  }
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
