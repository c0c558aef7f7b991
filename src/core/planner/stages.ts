import type { Host, Stage } from '../model/index.js';
import type { Decision } from './strategy.js';
import type { Gate } from './tasks.js';

/**
 * Without stages in the policy: a canary of 1 % of the hosts (at least one), soaked for
 * half an hour before the rest follow. Its hosts are the ones with the fewest guests to
 * move, one per migration group in turn, so that the canary also makes the first room.
 */
export const DEFAULT_STAGES: readonly Stage[] = [
  { name: 'canary', percent: 1, waves: 1, soak: 30 * 60_000, approval: false },
  { name: 'fleet', waves: 1, soak: 0, approval: false },
];

/**
 * The policy's stages as a sequence of gates, one per stage or per wave of a stage. Each
 * stage takes, from the hosts not staged yet, those its selector matches (the last stage
 * takes all that are left), and of those `count` or `percent`. Hosts that only install or
 * defer never fill a canary's places: a canary is there to see activations work.
 */
export function buildGates(
  decisions: readonly Decision[],
  hosts: ReadonlyMap<string, Host>,
  hostIndex: ReadonlyMap<string, number>,
  policyStages: readonly Stage[],
  /** How soon the host's guests would find room (see `StartRank`): a canary that must wait for room tests nothing. */
  startRank: (decision: Decision) => StartRank,
  /** How many of the best-ranked candidates each canary stage passes over (see `canaries`). */
  canaryShift = 0,
): Gate[] {
  const stages = policyStages.length > 0 ? policyStages : DEFAULT_STAGES;
  let remaining = [...decisions];
  const gates: Gate[] = [];
  stages.forEach((stage, i) => {
    const last = i === stages.length - 1;
    const matched = last ? remaining : remaining.filter((d) => selects(stage, hosts.get(d.host)!));
    const chosen =
      last || (stage.count === undefined && stage.percent === undefined)
        ? matched
        : canaries(stage, matched, startRank, canaryShift);
    const taken = new Set(chosen);
    remaining = remaining.filter((d) => !taken.has(d));
    const ordered = [...chosen].sort(byUrgency);
    const waves = Math.min(stage.waves, Math.max(1, ordered.length));
    let from = 0;
    for (let w = 0; w < waves; w++) {
      const left = ordered.length - from;
      const size =
        w === waves - 1 ? left : Math.min(waveSize(ordered.length, waves, w), left - (waves - 1 - w));
      gates.push({
        stage: stage.name,
        ...(waves > 1 ? { wave: w } : {}),
        soakMs: stage.soak,
        hosts: ordered.slice(from, from + size).map((d) => hostIndex.get(d.host)!),
      });
      from += size;
    }
  });
  return gates;
}

function selects(stage: Stage, host: Host): boolean {
  const select = stage.select;
  if (!select) return true;
  if (select.clusters && !select.clusters.includes(host.cluster)) return false;
  if (select.hosts && !select.hosts.includes(host.id)) return false;
  for (const [key, value] of Object.entries(select.labels ?? {}))
    if (host.labels[key] !== value) return false;
  return true;
}

/**
 * How soon a host could be done: 0, its guests fit on patched hosts at the start; 1, only
 * on hosts patched later (it can still go first, those guests moving again); 2, it must
 * wait for others to make room.
 */
export type StartRank = 0 | 1 | 2;

/**
 * Hosts with activations only: those that can be done first, the soonest first, then
 * reboots (the riskiest change, and the room later hosts need), fewest guests to move
 * first, taking one migration group after another. With a `shift`, the ranking is read
 * from that place on, so that a planner may try the next candidates too.
 */
function canaries(
  stage: Stage,
  matched: readonly Decision[],
  startRank: (decision: Decision) => StartRank,
  shift: number,
): Decision[] {
  const active = matched.filter((d) => d.kind !== 'defer' && d.kind !== 'install');
  const wanted =
    stage.count !== undefined
      ? stage.count
      : Math.max(1, Math.ceil(((stage.percent ?? 0) / 100) * active.length));
  const byGroup = new Map<string, Decision[]>();
  for (const decision of active) {
    const group = decision.fates.host.migrationGroup;
    const list = byGroup.get(group);
    if (list) list.push(decision);
    else byGroup.set(group, [decision]);
  }
  const queues = [...byGroup.values()]
    .map((list) => {
      const fits = new Map(list.map((d) => [d, startRank(d)]));
      return list.sort(
        (a, b) =>
          fits.get(a)! - fits.get(b)! ||
          inService(a) - inService(b) ||
          movingLoad(a) - movingLoad(b) ||
          a.host.localeCompare(b.host),
      );
    })
    .sort((a, b) => b.length - a.length || a[0]!.host.localeCompare(b[0]!.host));
  const ranked: Decision[] = [];
  for (let round = 0; ranked.length < active.length; round++)
    for (const queue of queues) if (round < queue.length) ranked.push(queue[round]!);
  const count = Math.min(wanted, active.length);
  const from = Math.min(shift, ranked.length - count);
  return ranked.slice(from, from + count);
}

/** Guests that must move, then their memory: what a host needs from others to be patched. */
function movingLoad(decision: Decision): number {
  return decision.moves.length * 1e9 + decision.moves.reduce((sum, g) => sum + g.memoryMiB, 0);
}

function inService(decision: Decision): number {
  return decision.kind === 'in-service' ? 1 : 0;
}

/** Earliest deadline, then most severe: they go in the first waves. */
function byUrgency(a: Decision, b: Decision): number {
  const due = (d: Decision) => (d.fates.work.due === undefined ? Infinity : Date.parse(d.fates.work.due));
  return (
    due(a) - due(b) ||
    severityRank(a) - severityRank(b) ||
    movingLoad(a) - movingLoad(b) ||
    a.host.localeCompare(b.host)
  );
}

const SEVERITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, negligible: 4 };

export function severityRank(decision: Decision): number {
  const severity = decision.fates.work.severity;
  return severity === undefined ? 5 : SEVERITY_RANK[severity]!;
}

/** Waves double in size, so that the first ones risk few hosts and the later ones use the room freed. */
function waveSize(total: number, waves: number, wave: number): number {
  return Math.max(1, Math.round((total * 2 ** wave) / (2 ** waves - 1)));
}
