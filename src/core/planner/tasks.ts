import type { ActionKind } from '../plan/index.js';

/**
 * How a host's work is carried out: taken out of service and rebooted after its guests
 * leave (`evacuate`) or stop (`in-place`); done while it stays in service (`in-service`:
 * live patch, daemon restarts, guests moved off an old QEMU); or only installed now, its
 * activation deferred (`defer`); or installed with nothing to activate (`install`).
 */
export type TaskKind = 'evacuate' | 'in-place' | 'in-service' | 'defer' | 'install';

export interface HostTask {
  host: number;
  kind: TaskKind;
  packages: { name: string; version: string }[];
  livePatch?: string;
  daemons: string[];
  rebootMs: number;
  /** In service: the guests still on the old QEMU, which must move or restart. */
  affected: number[];
  /** Guests arriving before the install would keep the old QEMU, so the host is no target until then. */
  finalAfterInstall: boolean;
  /** Milliseconds from campaign start; Infinity without a deadline. */
  dueMs: number;
  /** 0 for critical … 4 for negligible, 5 for none. */
  severity: number;
  /** Index of the stage/wave gate the host belongs to. */
  gate: number;
}

/** A stage, or one wave of a stage: its hosts start only once the gate before it closed and soaked. */
export interface Gate {
  stage: string;
  /** The wave number the policy asked for; undefined when waves follow freed capacity. */
  wave?: number;
  soakMs: number;
  hosts: number[];
}

/** What the policy allows for each guest, decided once before scheduling. */
export interface GuestRules {
  /** Live-migratable, running, with a disruption budget, and able to converge somewhere. */
  canMove: Uint8Array;
  /** Its owners consented to an in-place reboot and its service may lose it for a while. */
  canStop: Uint8Array;
}

/** One timed step of the plan, with positions instead of ids. */
export interface Step {
  kind: ActionKind;
  host: number;
  guest: number;
  to: number;
  start: number;
  end: number;
  daemon?: string;
  reason?: string;
}
