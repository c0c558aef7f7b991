import type { FleetIndex } from './fleet-index.js';
import type { MigrationModel } from './migration-model.js';
import type { Gate, GuestRules, HostTask, Step } from './tasks.js';
import type { PlannerTimings } from './timings.js';

export interface Limits {
  fleet: number;
  cluster: number;
  failureDomain: number;
  migrationsPerHost: number;
  migrationsPerLink: number;
}

/** The earliest start at or after `time` from which the host may be worked on for `durationMs`; Infinity when never. */
export type WindowFit = ((host: number, time: number, durationMs: number) => number) & {
  /** Why the host is held at `time`, when something other than the maintenance windows holds it. */
  why?: (host: number, time: number) => string | undefined;
};

export interface SchedulerInput {
  fleet: FleetIndex;
  tasks: readonly HostTask[];
  gates: readonly Gate[];
  rules: GuestRules;
  limits: Limits;
  migrations: MigrationModel;
  timings: PlannerTimings;
  windows?: WindowFit;
  /** Hosts that need nothing disruptive when the schedule starts; others become so as they finish. */
  initiallyFinal: Uint8Array;
  /** For a replan: what is under way at the start. */
  seed?: Seed;
  /** Per host, its place in the queue among hosts of equal deadline and severity; absent: longest first. */
  ranking?: Int32Array;
}

/** The state of a campaign under way, from which a replan goes on. */
export interface Seed {
  /** Where each guest is, after the moves already made. */
  guestHost: Int32Array;
  /** When each host's install ended or ends; Infinity if it has not started. */
  installedAt: Float64Array;
  /** Migrations under way: they finish as planned. */
  migrations: { guest: number; source: number; target: number; end: number }[];
  /** Guests the plan stopped that are not running again yet: their services' budgets stay taken until `until`. */
  stopped: { guest: number; until: number }[];
  /**
   * Hosts whose closing steps began (guests stopping, reboot, verify, guests starting,
   * enable): the rest of them is kept as planned, and the host is back at `until`
   * (Infinity for one that did not come back), final if `patched` (not one put back
   * unpatched); `out` of service until then if the plan took it out.
   */
  closing: { host: number; until: number; out: boolean; patched: boolean }[];
  /** Hosts whose work began but whose guests are still leaving: the rest is planned anew from `from`; `out` if the plan disabled them. */
  resumed: { host: number; from: number; out: boolean }[];
  wave: Int32Array;
  /** The first gate opens no earlier than this (its stage's soak may still run). */
  firstGateAt: number;
  /** Per guest, why its next move is not its first: it was parked on a host not patched yet. */
  movedReason: (string | undefined)[];
  /** Per guest, the target of the move the plan under way still has for it (-1 for none): tried first when it is placed again. */
  plannedTarget: Int32Array;
}

export interface Schedule {
  steps: Step[];
  /** When each host's work started and ended; NaN for hosts never started. */
  start: Float64Array;
  end: Float64Array;
  /** Hosts left unfinished, each with the sentence that says why. */
  deferred: Map<number, string>;
  /** Per host, the last thing that kept it from starting. */
  held: (string | undefined)[];
  wave: Int32Array;
  /** When each gate opened; NaN for gates never reached. */
  gateOpened: Float64Array;
  /** Hosts whose stage could not go as the policy has it (a canary that had to make its own room, or wait), each with the sentence that says so. */
  notes: Map<number, string>;
}
