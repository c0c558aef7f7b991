import type { MigrationPolicy } from '../model/index.js';
import { migrationBandwidthMiBps, precopyEstimate, type PrecopyEstimate } from '../sim/index.js';
import type { FleetIndex } from './fleet-index.js';

/** What the planner needs of the migration policy, in milliseconds. */
export interface MigrationSettings {
  downtimeLimitMs: number;
  maxIterations: number;
  autoConverge: boolean;
  timeoutPerGiBMs: number;
}

export function migrationSettings(policy: MigrationPolicy): MigrationSettings {
  return {
    downtimeLimitMs: policy.downtimeLimit,
    maxIterations: policy.maxIterations,
    autoConverge: policy.autoConverge,
    timeoutPerGiBMs: policy.timeoutPerGiB,
  };
}

/** Dirty rates are whole MiB/s below this in practice; such guests share estimates by shape. */
const SHARED_DIRTY_RATES = 1 << 16;

/**
 * Predicted live migrations, from the simulator's pre-copy model: each migration gets the
 * slower NIC's share for the most migrations a host may run at once. A fleet has few guest
 * shapes and link speeds, so estimates are shared by (bandwidth, memory, dirty rate).
 */
export class MigrationModel {
  private readonly shared = new Map<number, Map<number, PrecopyEstimate>>();
  /** Each guest's last estimate: placement asks about the same guest and link speed over and over. */
  private readonly lastBandwidth: Float64Array;
  private readonly lastEstimate: (PrecopyEstimate | undefined)[];

  constructor(
    private readonly fleet: FleetIndex,
    private readonly migrationsPerHost: number,
    private readonly settings: MigrationSettings,
  ) {
    this.lastBandwidth = new Float64Array(fleet.guests.length).fill(NaN);
    this.lastEstimate = new Array<PrecopyEstimate | undefined>(fleet.guests.length);
  }

  estimate(guest: number, source: number, target: number): PrecopyEstimate {
    const { fleet } = this;
    const bandwidth = migrationBandwidthMiBps(
      fleet.nicGbps[source]!,
      fleet.nicGbps[target]!,
      this.migrationsPerHost,
    );
    return this.atBandwidth(guest, bandwidth);
  }

  converges(guest: number, source: number, target: number): boolean {
    return this.estimate(guest, source, target).outcome === 'completed';
  }

  private atBandwidth(guest: number, bandwidthMiBps: number): PrecopyEstimate {
    if (this.lastBandwidth[guest] === bandwidthMiBps) return this.lastEstimate[guest]!;
    const estimate = this.shapeEstimate(guest, bandwidthMiBps);
    this.lastBandwidth[guest] = bandwidthMiBps;
    this.lastEstimate[guest] = estimate;
    return estimate;
  }

  private shapeEstimate(guest: number, bandwidthMiBps: number): PrecopyEstimate {
    const memoryMiB = this.fleet.memory[guest]!;
    const dirtyRateMiBps = this.fleet.dirtyRate[guest]!;
    const shareable = Number.isInteger(dirtyRateMiBps) && dirtyRateMiBps < SHARED_DIRTY_RATES;
    const key = memoryMiB * SHARED_DIRTY_RATES + dirtyRateMiBps;
    let byShape = this.shared.get(bandwidthMiBps);
    const known = shareable ? byShape?.get(key) : undefined;
    if (known) return known;
    const estimate = precopyEstimate({
      memoryMiB,
      dirtyRateMiBps,
      bandwidthMiBps,
      downtimeLimitMs: this.settings.downtimeLimitMs,
      maxIterations: this.settings.maxIterations,
      autoConverge: this.settings.autoConverge,
      timeoutMs: (this.settings.timeoutPerGiBMs * memoryMiB) / 1024,
    });
    if (shareable) {
      if (!byShape) this.shared.set(bandwidthMiBps, (byShape = new Map()));
      byShape.set(key, estimate);
    }
    return estimate;
  }
}
