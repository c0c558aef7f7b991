import type { Fleet } from '../../core/model/index.js';
import type { SimEnvironment } from '../../drivers/sim/index.js';
import { runWorker, type RunWorkerOptions, type WorkerOutcome } from '../../engine/index.js';
import {
  createOwnerNotifier,
  noticeOnlyServices,
  serviceImpacts,
  waitForOwnerGates,
  type WebhookEndpoints,
} from '../../engine/owners/index.js';
import type { CampaignStore } from '../../store/index.js';
import type { GuestPatcher } from '../../core/ports.js';
import { storeAccess } from './access.js';
import { serveControl } from './control.js';
import type { DataDir } from './data-dir.js';
import { followProgress } from './run-progress.js';
import { summariseRun, type RunSummary } from './run-summary.js';

export interface SimulatedRunOptions {
  store: CampaignStore;
  campaign: string;
  dir: DataDir;
  /** The simulated world kept in the data directory (`openKeptWorld`), opened before the campaign was made. */
  env: SimEnvironment;
  fleet: Fleet;
  worker: string;
  progress: 'lines' | 'none';
  /** Services whose hosts wait for their owner's consent (the policy's approvals.ownerConsent). */
  ownerConsent?: readonly string[];
  /**
   * Where owners are notified. Then services with a notice period are gated too: their hosts
   * wait until the notice has been delivered and the period has run out. Without it nobody is
   * told, consent comes through the control socket or the API, and notice periods hold nothing.
   */
  owners?: WebhookEndpoints;
  /** Runs the policy's guest patch hook for the plan's start-guest actions that ask for it. */
  guestPatcher?: GuestPatcher;
}

/** Long enough that a busy machine never loses a live worker's hosts; a dead worker's come back after it. */
const LEASE_TTL_MS = 5 * 60_000;

/**
 * Runs a campaign through the durable engine against the simulated world kept in the data
 * directory (replayed from its journal, so a killed run goes on from where it was), with the
 * control socket open for status/pause/resume/abort, until the campaign ends or Ctrl-C.
 */
export async function runOnSimulator(options: SimulatedRunOptions): Promise<RunSummary> {
  const { store, campaign, dir, env, fleet } = options;
  const ownerConsent = options.ownerConsent ?? [];
  // Refuses, before anything is sent or done, a disrupted service whose owner has no endpoint.
  const notifier =
    options.owners === undefined
      ? undefined
      : await createOwnerNotifier({
          store,
          campaign,
          services: fleet.services,
          ownerConsent,
          endpoints: options.owners,
          clock: env.clock,
          // Receivers check a signature's time against their own clock, not the simulation's.
          signingNow: Date.now,
        });
  if (notifier === undefined) await warnUnheldNotice(store, campaign, fleet, ownerConsent);
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
  // The notifier also stops when the run leaves the campaign open: it would wait for its end forever.
  const stopNotifier = new AbortController();
  const notifying = notifier?.run(AbortSignal.any([stop.signal, stopNotifier.signal]));
  try {
    const work: RunWorkerOptions = {
      policy: { ownerConsent: notifier?.gatedServices ?? ownerConsent },
      store: env.runtime.holding(store),
      platform: env.platform,
      agent: env.hostAgent,
      clock: env.clock,
      campaign,
      worker: options.worker,
      leaseTtlMs: LEASE_TTL_MS,
      signal: stop.signal,
      ...(options.guestPatcher && { guestPatcher: options.guestPatcher }),
    };
    let outcome: WorkerOutcome;
    for (;;) {
      const known = new Set((await store.approvals(campaign)).map((a) => a.stage));
      outcome = await runWorker(work);
      // Hosts left waiting on gates the notifier will still open by itself: wait for it, then go on.
      if (outcome.blocked === undefined || notifier === undefined) break;
      if (!(await waitForOwnerGates(store, campaign, notifier, known, stop.signal))) break;
    }
    if (outcome.blocked !== undefined) stopNotifier.abort();
    // Notices of the campaign's end go out before the run reports it.
    await notifying;
    return await summariseRun(store, campaign, outcome, env.sim);
  } finally {
    stopNotifier.abort();
    stop.dispose();
    stopProgress();
    await stopControl();
  }
}

/** With nobody to notify, notice periods cannot be kept: the run says so rather than ignore them silently. */
async function warnUnheldNotice(
  store: CampaignStore,
  campaign: string,
  fleet: Fleet,
  ownerConsent: readonly string[],
): Promise<void> {
  const { plan } = await store.campaign(campaign);
  const unheld = noticeOnlyServices(serviceImpacts(plan), fleet.services, ownerConsent);
  if (unheld.length === 0) return;
  const named = unheld.slice(0, 5).map((s) => s.id);
  const more = unheld.length > named.length ? `, and ${unheld.length - named.length} more` : '';
  process.stderr.write(
    `No owners' webhook endpoints (hvpatch run --owners): ${unheld.length} disrupted service${unheld.length === 1 ? ' asks' : 's ask'} for notice before their guests are touched (${named.join(', ')}${more}); ` +
      'nobody is told, and their hosts are not held for it\n',
  );
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
