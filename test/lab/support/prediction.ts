/**
 * The simulator's prediction of a campaign's live migrations on the lab: the same moves,
 * requested at the moments they really started (so that moves that overlapped share hosts
 * and links in the model as they did on the lab), replayed in the digital twin
 * (`src/core/sim`) with the pre-copy model calibrated on the lab's measured bandwidth.
 *
 * The bandwidth and switch-over cost come from calibration migrations made before the
 * campaign (calibration.ts), never from the migrations it predicts. Pure: the test gathers the numbers.
 */
import { Policy, type Fleet } from '../../../src/core/model/index.js';
import { isFinished, Simulation } from '../../../src/core/sim/index.js';
import type { MigrationModel } from './calibration.js';

/** QEMU's default switch-over limit (`downtime-limit`), which libvirt leaves as it is. */
export const QEMU_DOWNTIME_LIMIT_MS = 300;
/** QEMU's pre-copy has no round limit; the model needs one and never reaches it for a quiet guest. */
const MAX_ITERATIONS = 1000;
/** libvirt sets no migration timeout of its own; the model's must never fire. */
const NO_TIMEOUT_PER_GIB_MS = 24 * 3600_000;

export interface Move {
  guest: string;
  source: string;
  target: string;
  /** Epoch ms when the real migration started. */
  startedAt: number;
}

export interface Prediction {
  /** The model's time from the request to the end of the switch-over. */
  totalMs: number;
  /** The model's stop-and-copy. */
  downtimeMs: number;
  outcome: string;
}

/** Link speed that gives each migration `bandwidthMiBps` when `migrationsPerHost` share it. */
function linkGbps(bandwidthMiBps: number, migrationsPerHost: number): number {
  return (bandwidthMiBps * migrationsPerHost * 2 ** 20 * 8) / 1e9;
}

/**
 * Predicts every move, in the order given back. `fleet` is the lab as inventoried before the
 * campaign, `policy` the campaign's own (its migration concurrency is what the engine ran
 * under), `model` the calibration's bandwidth and switch-over cost.
 */
export function predictMoves(
  fleet: Fleet,
  policy: Policy,
  moves: readonly Move[],
  { bandwidthMiBps, switchoverMs }: MigrationModel,
): Prediction[] {
  if (moves.length === 0) return [];
  const perHost = policy.concurrency.migrationsPerHost;
  const calibrated: Fleet = {
    ...fleet,
    hosts: fleet.hosts.map((h) => ({ ...h, migrationBandwidthGbps: linkGbps(bandwidthMiBps, perHost) })),
  };
  const t0 = Math.min(...moves.map((m) => m.startedAt));
  const sim = new Simulation(calibrated, {
    startTime: t0,
    timings: { migrationSwitchoverMs: switchoverMs },
    migration: {
      downtimeLimit: QEMU_DOWNTIME_LIMIT_MS,
      maxIterations: MAX_ITERATIONS,
      // libvirt turns auto-converge on only when asked (`--auto-converge`); the driver does not ask.
      autoConverge: false,
      timeoutPerGiB: NO_TIMEOUT_PER_GIB_MS,
    },
    concurrency: {
      migrationsPerHost: perHost,
      migrationsPerLink: policy.concurrency.migrationsPerLink,
    },
  });

  const order = moves.map((m, i) => ({ m, i })).sort((a, b) => a.m.startedAt - b.m.startedAt);
  const ids: string[] = new Array<string>(moves.length);
  const lastOf = new Map<string, string>();
  for (const { m, i } of order) {
    sim.advanceTo(m.startedAt);
    // A guest the model has not finished moving yet is moved again once it has.
    const previous = lastOf.get(m.guest);
    if (previous !== undefined) sim.runUntil(() => isFinished(sim.migration(previous).phase));
    const where = sim.guest(m.guest).host;
    if (where !== m.source) {
      throw new Error(`the model has ${m.guest} on ${where}, the lab moved it from ${m.source}`);
    }
    const id = sim.migrate(m.guest, m.target).id;
    ids[i] = id;
    lastOf.set(m.guest, id);
  }
  sim.runUntilIdle();

  return ids.map((id) => {
    const view = sim.migration(id);
    return {
      totalMs: (view.endedAt ?? sim.now) - view.requestedAt,
      downtimeMs: view.downtimeMs ?? 0,
      outcome: view.phase,
    };
  });
}
