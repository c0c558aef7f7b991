/**
 * What the checker can find wrong with a plan, one name per constraint so that tools can
 * count and filter findings. Two findings are notices, not errors: `moves-again`, a guest
 * migrated a second time for a reason the plan states (a baseline's scheduler put it on a
 * host due for patching), which invariant 3 allows but the objective counts against; and
 * `window-overrun`, a host's work that started inside its window and ran past its end
 * (hvpatch's planner admits a host only where its expected work fits, but waits for
 * migration slots and budgets can make it longer).
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
  'window',
  'window-overrun',
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
  return constraint === 'moves-again' || constraint === 'window-overrun' ? 'notice' : 'error';
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
