import type { PlanAction, StageGate } from '../plan/index.js';

/** Plans count in whole milliseconds; their seconds plus a soak may round either way. */
const ROUNDING_S = 1e-6;

/**
 * The stage gates a plan really ran through, for the lower bounds and the exact optimum:
 * all of them, or none. Both assume that each gate but the last activated its hosts,
 * then soaked, before any step of a later gate began (installs included: a host's own
 * chain starts with them). A canary that could do nothing before the stages after it
 * breaks this: the scheduler does not soak a gate over nothing, and the canary goes on
 * with the fleet, unsoaked (its explanation says why); the order of the steps alone does
 * not show it, the soak does.
 */
export function gatesFollowed(
  actions: readonly Pick<PlanAction, 'kind' | 'host' | 'startS' | 'endS'>[],
  gateOfHost: ReadonlyMap<string, number>,
  gates: readonly StageGate[],
): readonly StageGate[] {
  const lastActivationEnd = new Array<number>(gates.length).fill(-Infinity);
  const firstStart = new Array<number>(gates.length).fill(Infinity);
  for (const action of actions) {
    const gate = gateOfHost.get(action.host);
    if (gate === undefined) continue;
    firstStart[gate] = Math.min(firstStart[gate]!, action.startS);
    if (action.kind !== 'install') lastActivationEnd[gate] = Math.max(lastActivationEnd[gate]!, action.endS);
  }
  let readyAt = -Infinity;
  let waiting = false;
  for (let g = 0; g < gates.length; g++) {
    // The bounds skip a gate without hosts, and the scheduler does not soak it.
    if (gates[g]!.hosts === 0) continue;
    if (firstStart[g]! < readyAt - ROUNDING_S) return [];
    if (Number.isFinite(firstStart[g]!)) waiting = false;
    if (g === gates.length - 1) break;
    // Nothing activated: nothing was soaked as the bounds count it.
    if (!Number.isFinite(lastActivationEnd[g]!)) return [];
    readyAt = lastActivationEnd[g]! + gates[g]!.soakS;
    waiting = true;
  }
  // A soak nothing came after is not part of the campaign's length.
  return waiting ? [] : gates;
}
