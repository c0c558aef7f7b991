import type { FleetIndex } from './fleet-index.js';
import type { Ledger } from './ledger.js';
import type { Limits } from './schedule.js';
import type { HostTask } from './tasks.js';
import type { PlannerTimings } from './timings.js';

/** The order hosts wait in, and the size order used while room is scarce. */
export interface HostOrder {
  /** Deadline, then severity, then longest first (or the given ranking). */
  sort(hosts: number[]): void;
  /** How long the host's work is expected to keep it out of service. */
  estimateMs(h: number): number;
  /** Memory the host has to send away, as the inventory has it. */
  load(h: number): number;
}

export function hostOrder(
  fleet: FleetIndex,
  ledger: Ledger,
  tasks: readonly HostTask[],
  timings: PlannerTimings,
  limits: Limits,
  /** Per host, its place among hosts of equal deadline and severity, instead of longest first. */
  ranking?: Int32Array,
): HostOrder {
  const H = fleet.hosts.length;
  const due = new Float64Array(H).fill(Infinity);
  const severity = new Float64Array(H);
  const estimate = new Float64Array(H);
  const load = new Float64Array(H);
  const bytesPerMs = (gbit: number) => (gbit * 1e9) / 8 / 2 ** 20 / limits.migrationsPerHost / 1000;
  for (const task of tasks) {
    const h = task.host;
    due[h] = task.dueMs;
    severity[h] = task.severity;
    for (const g of ledger.residents[h]!) if (fleet.running[g]) load[h]! += fleet.memory[g]!;
    const emptying =
      task.kind === 'evacuate' ? load[h]! / bytesPerMs(fleet.nicGbps[h]!) : timings.guestStopMs;
    estimate[h] = emptying + task.rebootMs + timings.verifyMs;
  }
  return {
    // Infinity - Infinity is NaN, which is falsy: hosts without deadlines fall through to the next key.
    sort: (hosts) =>
      hosts.sort(
        (a, b) =>
          due[a]! - due[b]! ||
          severity[a]! - severity[b]! ||
          (ranking ? ranking[a]! - ranking[b]! : estimate[b]! - estimate[a]! || a - b),
      ),
    estimateMs: (h) => estimate[h]!,
    load: (h) => load[h]!,
  };
}
