import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { better, type Score } from './objective.js';

/** What one host order gave, by the objective. */
export interface Scored {
  score: Score;
}

/** The kicks' pseudo-random moves start from this seed: the same input gives the same plan. */
const KICK_SEED = 0x5eed;
/** Hosts moved at once by a kick: enough to leave the local optimum, few enough to keep most of it. */
const KICK_MOVES = 2;

/**
 * A search over the order hosts wait in, for small fleets. The scheduler's order
 * (deadline, severity, longest first) is a rule of thumb: which host goes first in a stage
 * decides whether it waits for its install, and which host drains right after another
 * decides whether its biggest guests find room behind a fast link. From `initial`, each
 * step moves one host to another place and keeps the first move that makes the plan
 * better by the objective; at a local optimum, a kick moves a few hosts at random (from a
 * fixed seed) and the descent starts again from there, until `budget` orders were tried.
 * Orders that differ only where `fixed` already decides (a gate, a deadline, a severity)
 * plan the same and are tried once. Deterministic: the same arguments give the same result.
 */
export function searchOrder<T extends Scored>(
  initial: readonly number[],
  start: T,
  evaluate: (order: readonly number[]) => T,
  fixed: (a: number, b: number) => number,
  budget: number,
): T {
  const first = [...initial].sort(fixed);
  if (first.length < 2) return start;
  const rng = xoroshiro128plus(KICK_SEED);
  const draw = (size: number) => uniformInt(rng, 0, size - 1);
  const tried = new Map<string, T>([[first.join(), start]]);
  let left = budget;
  /** The plan of an order, once per distinct order; undefined when the budget is spent. */
  const plan = (order: number[]): T | undefined => {
    const key = order.join();
    const known = tried.get(key);
    if (known || left === 0) return known;
    left--;
    const result = evaluate(order);
    tried.set(key, result);
    return result;
  };
  const descend = (order: number[], from: T): [number[], T] => {
    for (let improved = true; improved && left > 0;) {
      improved = false;
      for (let i = 0; i < order.length && !improved && left > 0; i++)
        for (let j = 0; j < order.length && !improved && left > 0; j++) {
          if (i === j) continue;
          const next = moved(order, i, j).sort(fixed);
          const result = plan(next);
          if (result && better(result.score, from.score)) [order, from, improved] = [next, result, true];
        }
    }
    return [order, from];
  };
  let [bestOrder, best] = descend(first, start);
  // Kicks that only reach orders tried before cost nothing: at most `budget` of them, so that a tiny fleet ends.
  for (let kicks = 0; kicks < budget && left > 0; kicks++) {
    let kicked = bestOrder;
    for (let k = 0; k < KICK_MOVES; k++) kicked = moved(kicked, draw(kicked.length), draw(kicked.length));
    kicked.sort(fixed);
    const result = plan(kicked);
    if (!result) break;
    const [order, found] = descend(kicked, result);
    if (better(found.score, best.score)) [bestOrder, best] = [order, found];
  }
  return best;
}

/** `order` with the host at place `from` moved to place `to`. */
function moved(order: readonly number[], from: number, to: number): number[] {
  const next = [...order];
  next.splice(to, 0, next.splice(from, 1)[0]!);
  return next;
}
