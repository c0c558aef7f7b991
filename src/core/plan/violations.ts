/**
 * What the checker can find wrong with a plan, one name per constraint so that tools can
 * count and filter findings. `moves-again` is the only finding that is not an error: a
 * guest migrated a second time for a reason the plan states (a baseline's scheduler put it
 * on a host due for patching), which invariant 3 allows but the objective counts against.
 */
export const CONSTRAINTS = [
  'well-formed',
  'memory-ceiling',
  'vcpu-ceiling',
  'evacuation-ceiling',
  'anti-affinity',
  'affinity',
  'migration-group',
  'qemu-version',
  'target-disabled',
  'target-rebooting',
  'target-not-final',
  'moves-at-most-once',
  'moves-again',
  'reboot-with-guests',
  'drain-while-enabled',
  'enable-unverified',
  'live-only',
  'hosts-out-fleet',
  'hosts-out-cluster',
  'hosts-out-failure-domain',
  'service-budget',
  'migrations-per-host',
  'migrations-per-link',
  'redundancy-group',
  'patch-order',
] as const;
export type Constraint = (typeof CONSTRAINTS)[number];

export interface Violation {
  constraint: Constraint;
  severity: 'error' | 'notice';
  /** Seconds from campaign start at which the constraint broke. */
  time: number;
  host?: string;
  guest?: string;
  component?: string;
  message: string;
}

export function severityOf(constraint: Constraint): Violation['severity'] {
  return constraint === 'moves-again' ? 'notice' : 'error';
}

/** Collects findings as the checker meets them. */
export class Findings {
  readonly list: Violation[] = [];

  add(
    constraint: Constraint,
    time: number,
    message: string,
    at: { host?: string; guest?: string; component?: string } = {},
  ): void {
    this.list.push({ constraint, severity: severityOf(constraint), time, ...at, message });
  }
}
