import { existsSync } from 'node:fs';
import {
  createSimEnvironment,
  fileJournal,
  readJournal,
  type SimEnvironment,
} from '../../drivers/sim/index.js';
import { runWorker } from '../../engine/index.js';
import { createOwnerNotifier, type WebhookEndpoints } from '../../engine/owners/index.js';
import type { CampaignStore } from '../../store/index.js';
import { storeAccess } from './access.js';
import { serveControl } from './control.js';
import type { DataDir, SimWorldSetup } from './data-dir.js';
import { followProgress } from './run-progress.js';
import { summariseRun, type RunSummary } from './run-summary.js';

export interface SimulatedRunOptions {
  store: CampaignStore;
  campaign: string;
  dir: DataDir;
  setup: SimWorldSetup;
  /** Virtual time runs this many times faster than real time; as fast as it can without it. */
  speed?: number;
  worker: string;
  progress: 'lines' | 'none';
  /** Called once the simulated world is up, before the engine starts on it. */
  onWorld?: (env: SimEnvironment) => void | Promise<void>;
  /** Services whose hosts wait for their owner's consent (the policy's approvals.ownerConsent). */
  ownerConsent?: readonly string[];
  /** Where owners are notified; without it, consent is given with `hvpatch consent`. */
  owners?: WebhookEndpoints;
}

/** Long enough that a busy machine never loses a live worker's hosts; a dead worker's come back after it. */
const LEASE_TTL_MS = 5 * 60_000;

/**
 * Runs a campaign through the durable engine against the simulated world kept in the data
 * directory (replayed from its journal, so a killed run goes on from where it was), with the
 * control socket open for status/pause/resume/abort, until the campaign ends or Ctrl-C.
 */
export async function runOnSimulator(options: SimulatedRunOptions): Promise<RunSummary> {
  const { store, campaign, dir, setup } = options;
  const env = createSimEnvironment(setup.fleet, {
    seed: setup.seed,
    faults: setup.faults,
    startTime: setup.startTime,
    ...(options.speed !== undefined && { speed: options.speed }),
    replay: existsSync(dir.journal) ? readJournal(dir.journal) : [],
    journal: fileJournal(dir.journal),
  });
  await options.onWorld?.(env);
  const ownerConsent = options.ownerConsent ?? [];
  // Refuses, before anything is sent or done, a disrupted service whose owner has no endpoint.
  const notifier =
    options.owners === undefined
      ? undefined
      : await createOwnerNotifier({
          store,
          campaign,
          services: setup.fleet.services,
          ownerConsent,
          endpoints: options.owners,
          clock: env.clock,
        });
  // Changes made through the run carry its clock, so the audit trail keeps one time line.
  const stopControl = await serveControl(
    dir.socket,
    storeAccess(store, campaign, async () => undefined, env.clock.now),
  );
  const stopProgress =
    options.progress === 'lines'
      ? followProgress(store, campaign, env.clock.now, process.stderr)
      : () => undefined;
  const stop = stopOnInterrupt();
  const notifying = notifier?.run(stop.signal);
  try {
    const outcome = await runWorker({
      policy: { ownerConsent },
      store,
      platform: env.platform,
      agent: env.hostAgent,
      clock: env.clock,
      campaign,
      worker: options.worker,
      leaseTtlMs: LEASE_TTL_MS,
      signal: stop.signal,
    });
    // Notices of the campaign's end go out before the run reports it.
    await notifying;
    return await summariseRun(store, campaign, outcome, env.sim);
  } finally {
    stop.dispose();
    stopProgress();
    await stopControl();
  }
}

/** Ctrl-C (or SIGTERM) once: no new hosts, finish those in flight. Twice: stop now; the engine picks up on the next run. */
function stopOnInterrupt(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) {
      process.stderr.write('stopping now; run the same command again to resume\n');
      process.exit(130);
    }
    process.stderr.write('finishing the hosts in flight, then stopping (Ctrl-C again to stop at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
