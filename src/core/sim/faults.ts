import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { PortOperation } from '../ports.js';

/** Faults drawn at random, each with its probability per occasion. */
export interface FaultProbabilities {
  /** Per migration: it fails at a random pre-copy round. */
  migrationFails?: number;
  /** Per migration: it stops making progress at a random round until aborted or timed out. */
  migrationHangs?: number;
  /** Per reboot: the host does not come back. */
  rebootNoReturn?: number;
  /** Per reboot: the host comes back but fails its health checks. */
  rebootDegraded?: number;
  /** Per driver call: it throws `TimedOut`, having taken effect or not (even odds). */
  apiTimeout?: number;
}

/** `times` is how often the fault fires before it is used up (default 1; Infinity for always). */
export type TargetedFault =
  | {
      kind: 'migration-fails' | 'migration-hangs';
      guest?: string;
      host?: string;
      atRound?: number;
      times?: number;
    }
  | { kind: 'reboot-no-return' | 'reboot-degraded'; host: string; times?: number }
  | {
      kind: 'api-timeout';
      operation?: PortOperation;
      host?: string;
      guest?: string;
      /** Whether the call took effect before its caller gave up (default: at random). */
      effect?: ApiTimeoutEffect;
      times?: number;
    }
  /**
   * The platform stops enforcing the host's capacity ceiling (a stale placement inventory,
   * a wrong allocation ratio): migrations onto it are accepted past the ceiling. This is
   * the one documented way for a simulated host to exceed its ceiling.
   */
  | { kind: 'overcommit'; host: string };

export interface FaultPlan {
  probabilities?: FaultProbabilities;
  targeted?: TargetedFault[];
}

export type ApiTimeoutEffect = 'applied' | 'not-applied';
export type MigrationFaultKind = 'fails' | 'hangs';
export type RebootOutcome = 'normal' | 'no-return' | 'degraded';

export interface MigrationFault {
  kind: MigrationFaultKind;
  /** Pre-copy round at whose end it strikes. */
  round: number;
}

type Armed = TargetedFault & { left: number };

/**
 * Decides which faults strike, from the plan and a seeded generator, so the same seed
 * replays the same failures. Targeted faults take precedence over random ones.
 */
export class FaultInjector {
  private readonly rng;
  private readonly probabilities: FaultProbabilities;
  private readonly armed: Armed[];
  private readonly overcommitted: ReadonlySet<string>;

  constructor(plan: FaultPlan, seed: number) {
    this.rng = xoroshiro128plus(seed);
    this.probabilities = plan.probabilities ?? {};
    const targeted = plan.targeted ?? [];
    this.armed = targeted
      .filter((fault) => fault.kind !== 'overcommit')
      .map((fault) => ({ ...fault, left: 'times' in fault ? (fault.times ?? 1) : 1 }));
    this.overcommitted = new Set(
      targeted.flatMap((fault) => (fault.kind === 'overcommit' ? [fault.host] : [])),
    );
  }

  overcommits(host: string): boolean {
    return this.overcommitted.has(host);
  }

  /**
   * `lastRound` gives the last round the migration would run without faults, from which
   * a fault's round is drawn; it is called only then, as it costs an estimate.
   */
  migration(
    guest: string,
    source: string,
    target: string,
    lastRound: () => number,
  ): MigrationFault | undefined {
    const hit = this.take(
      (f) =>
        (f.kind === 'migration-fails' || f.kind === 'migration-hangs') &&
        (f.guest === undefined || f.guest === guest) &&
        (f.host === undefined || f.host === source || f.host === target),
    );
    if (hit && (hit.kind === 'migration-fails' || hit.kind === 'migration-hangs')) {
      return {
        kind: hit.kind === 'migration-fails' ? 'fails' : 'hangs',
        round: hit.atRound ?? this.round(lastRound),
      };
    }
    if (this.chance(this.probabilities.migrationFails)) {
      return { kind: 'fails', round: this.round(lastRound) };
    }
    if (this.chance(this.probabilities.migrationHangs)) {
      return { kind: 'hangs', round: this.round(lastRound) };
    }
    return undefined;
  }

  reboot(host: string): RebootOutcome {
    const hit = this.take(
      (f) => (f.kind === 'reboot-no-return' || f.kind === 'reboot-degraded') && f.host === host,
    );
    if (hit?.kind === 'reboot-no-return') return 'no-return';
    if (hit?.kind === 'reboot-degraded') return 'degraded';
    if (this.chance(this.probabilities.rebootNoReturn)) return 'no-return';
    if (this.chance(this.probabilities.rebootDegraded)) return 'degraded';
    return 'normal';
  }

  apiTimeout(
    operation: PortOperation,
    subject: { host?: string; guest?: string },
  ): ApiTimeoutEffect | undefined {
    const hit = this.take(
      (f) =>
        f.kind === 'api-timeout' &&
        (f.operation === undefined || f.operation === operation) &&
        (f.host === undefined || f.host === subject.host) &&
        (f.guest === undefined || f.guest === subject.guest),
    );
    if (hit?.kind === 'api-timeout') return hit.effect ?? this.coin();
    return this.chance(this.probabilities.apiTimeout) ? this.coin() : undefined;
  }

  private take(matches: (fault: TargetedFault) => boolean): TargetedFault | undefined {
    const fault = this.armed.find((f) => f.left > 0 && matches(f));
    if (fault) fault.left--;
    return fault;
  }

  private chance(probability: number | undefined): boolean {
    // No draw for a fault the plan does not ask for, so a plan without faults costs nothing.
    return probability !== undefined && probability > 0 && uniformFloat64(this.rng) < probability;
  }

  private round(lastRound: () => number): number {
    return uniformInt(this.rng, 0, Math.max(0, lastRound()));
  }

  private coin(): ApiTimeoutEffect {
    return uniformInt(this.rng, 0, 1) === 0 ? 'applied' : 'not-applied';
  }
}
