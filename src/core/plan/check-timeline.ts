import type { PlanIndex } from './check-index.js';
import type { PlanAction } from './model.js';

/**
 * What the replay needs to know about the future at a given instant: whether a host is
 * still due for a reboot, and when a guest will next leave the host it is moving to.
 */
export interface Timeline {
  /** End of each host's first install: its QEMU is `qemuVersionAfter` from then on. */
  qemuUpgradeAt: Float64Array;
  /** Start of each host's reboots, ascending. */
  rebootStarts: (number[] | undefined)[];
  /** Per migrate action: when the same guest's next migrate starts; Infinity when it has none. */
  nextDeparture: Float64Array;
}

export function buildTimeline(actions: readonly PlanAction[], index: PlanIndex): Timeline {
  const qemuUpgradeAt = new Float64Array(index.hosts.length).fill(Infinity);
  const rebootStarts: (number[] | undefined)[] = new Array(index.hosts.length);
  const nextDeparture = new Float64Array(actions.length).fill(Infinity);
  const movesOf = new Map<number, number[]>();
  for (const i of index.playable) {
    const action = actions[i];
    const host = index.actionHost[i];
    if (action.kind === 'install') qemuUpgradeAt[host] = Math.min(qemuUpgradeAt[host], action.endS);
    else if (action.kind === 'reboot') (rebootStarts[host] ??= []).push(action.startS);
    else if (action.kind === 'migrate') {
      const guest = index.actionGuest[i];
      const moves = movesOf.get(guest);
      if (moves) moves.push(i);
      else movesOf.set(guest, [i]);
    }
  }
  for (const starts of rebootStarts) starts?.sort((a, b) => a - b);
  for (const moves of movesOf.values()) {
    if (moves.length < 2) continue;
    moves.sort((a, b) => actions[a].startS - actions[b].startS || a - b);
    for (let k = 0; k + 1 < moves.length; k++) nextDeparture[moves[k]] = actions[moves[k + 1]].startS;
  }
  return { qemuUpgradeAt, rebootStarts, nextDeparture };
}

/** The first reboot of the host that starts at or after `time`; undefined when none does. */
export function nextRebootFrom(timeline: Timeline, host: number, time: number): number | undefined {
  const starts = timeline.rebootStarts[host];
  if (!starts) return undefined;
  let low = 0;
  let high = starts.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (starts[middle] < time) low = middle + 1;
    else high = middle;
  }
  return starts[low];
}
