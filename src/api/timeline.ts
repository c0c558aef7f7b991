import { z } from 'zod';
import type { Policy } from '../core/model/index.js';
import { ACTION_KINDS, openIntervals, type Plan, type PlanAction } from '../core/plan/index.js';
import { ACTION_STATES, type ActionState } from '../store/index.js';

/**
 * The plan as a timeline the dashboard can draw for thousands of hosts: flat number arrays
 * instead of objects (a 5,000-host plan has about 100,000 actions), hosts as rows in the
 * order they first go out, waves and maintenance windows as spans.
 */
export const Timeline = z.object({
  startsAt: z.string(),
  makespanS: z.number(),
  hosts: z.array(z.string()),
  kinds: z.array(z.string()),
  states: z.array(z.string()),
  /** Five numbers per action, in seq order: row, startS, endS, kind index, state index. */
  bars: z.array(z.number()),
  waves: z.array(z.object({ stage: z.string(), wave: z.number(), startS: z.number(), endS: z.number() })),
  windows: z.array(z.object({ startS: z.number(), endS: z.number() })),
  /** Hosts left out, and why. */
  deferred: z.array(z.object({ host: z.string(), reason: z.string() })),
});
export type Timeline = z.infer<typeof Timeline>;

export const BAR_WIDTH = 5;

/** `records`: the campaign's actions with their states (the plan's, all pending, when absent). */
export function buildTimeline(
  plan: Plan,
  policy: Policy | undefined,
  records?: readonly { spec: PlanAction; state: ActionState }[],
): Timeline {
  const actions: PlanAction[] = records ? records.map((r) => r.spec) : plan.actions;
  const rowOf = new Map<string, number>();
  const order = actions
    .map((a, i) => ({ host: a.host, startS: a.startS, i }))
    .sort((a, b) => a.startS - b.startS || a.i - b.i);
  for (const { host } of order) if (!rowOf.has(host)) rowOf.set(host, rowOf.size);
  for (const { host } of plan.deferred) if (!rowOf.has(host)) rowOf.set(host, rowOf.size);
  const kindIndex = new Map<string, number>(ACTION_KINDS.map((k, i) => [k, i]));
  const stateIndex = new Map<string, number>(ACTION_STATES.map((s, i) => [s, i]));
  const bars = new Array<number>(actions.length * BAR_WIDTH);
  const waves = new Map<string, { stage: string; wave: number; startS: number; endS: number }>();
  actions.forEach((a, i) => {
    const state = records ? stateIndex.get(records[i]!.state)! : 0;
    const at = i * BAR_WIDTH;
    bars[at] = rowOf.get(a.host)!;
    bars[at + 1] = a.startS;
    bars[at + 2] = a.endS;
    bars[at + 3] = kindIndex.get(a.kind)!;
    bars[at + 4] = state;
    if (a.stage === undefined) return;
    const key = `${a.stage}\u0000${a.wave ?? 0}`;
    const span = waves.get(key);
    if (span === undefined)
      waves.set(key, { stage: a.stage, wave: a.wave ?? 0, startS: a.startS, endS: a.endS });
    else {
      span.startS = Math.min(span.startS, a.startS);
      span.endS = Math.max(span.endS, a.endS);
    }
  });
  const makespanS = plan.summary.makespanS;
  return {
    startsAt: plan.startsAt,
    makespanS,
    hosts: [...rowOf.keys()],
    kinds: [...ACTION_KINDS],
    states: [...ACTION_STATES],
    bars,
    waves: [...waves.values()],
    windows:
      policy && policy.windows.length > 0 ? openIntervals(policy.windows, plan.startsAt, makespanS) : [],
    deferred: plan.deferred,
  };
}
