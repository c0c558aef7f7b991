/**
 * A plan's objective, most important first: hosts deferred, then whether the stages were
 * not soaked as the policy has them (a canary that could do nothing first goes unsoaked,
 * which only looks shorter), guests moved twice, makespan, guest downtime.
 */
export type Score = readonly [
  deferred: number,
  unsoaked: number,
  movedTwice: number,
  makespanS: number,
  guestDowntimeS: number,
];

/** Whether `x` is strictly better than `y`: the first figure that differs decides. */
export function better(x: Score, y: Score): boolean {
  const differs = x.findIndex((value, i) => value !== y[i]);
  return differs >= 0 && x[differs]! < y[differs]!;
}
