import { Conflict } from '../core/errors.js';
import type { Service } from '../core/model/index.js';
import type { Clock, GuestPatcher, HostAgent, Platform } from '../core/ports.js';
import { runWorker, type ExecutorPolicy, type WorkerOutcome } from '../engine/index.js';
import {
  createOwnerNotifier,
  noticeOnlyServices,
  serviceImpacts,
  waitForOwnerGates,
  type OwnerNotifier,
  type WebhookEndpoints,
} from '../engine/owners/index.js';
import type { CampaignStore, CampaignSummary } from '../store/index.js';
import { createPacer } from './paced.js';

/**
 * Runs campaigns inside the server, on the simulator, at `speed` times real time. Small on
 * purpose: the state machine lives in the store and the work in the engine's worker; this
 * only moves the state and keeps one worker going while the campaign needs one, with the
 * campaign's owner notifier beside it. One campaign at a time, since they share one
 * simulated fleet.
 */
export interface CampaignRunner {
  start(id: string, actor: string): Promise<CampaignSummary>;
  pause(id: string, actor: string): Promise<CampaignSummary>;
  resume(id: string, actor: string): Promise<CampaignSummary>;
  abort(id: string, actor: string): Promise<CampaignSummary>;
  /** After an approval: a worker that stopped waiting on it goes on. */
  nudge(id: string): Promise<void>;
  /**
   * On start, in a world kept across restarts: each campaign the store says is running gets
   * its worker again, as if resumed. What became of each is told to `report`, one line apiece.
   */
  resumeRunning(report: (line: string) => void): Promise<void>;
  /** Stops taking hosts, finishes those in flight without pacing, and waits for the worker. */
  close(): Promise<void>;
}

/** Where the runner reports what no request answers (a pino logger, such as the server's, fits). */
export interface RunnerLog {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface CampaignRunnerOptions {
  store: CampaignStore;
  platform: Platform;
  agent: HostAgent;
  /** The simulator's virtual clock. */
  clock: Clock;
  /** Virtual milliseconds per real millisecond; Infinity runs flat out. */
  speed: number;
  policy?: Partial<ExecutorPolicy>;
  /** The fleet's services: owners, notice periods. */
  services: readonly Service[];
  /** The policy's `approvals.ownerConsent`, which the owner notifier gates on. */
  ownerConsent?: readonly string[];
  /**
   * Where owners are notified. Then every campaign gets an owner notifier: services with a
   * notice period or in `ownerConsent` are gated, and their hosts wait for the notifier (or a
   * person) to approve them. Without it nobody is told, and notice periods hold nothing.
   */
  owners?: WebhookEndpoints;
  /** Runs the policy's guest patch hook for the plan's start-guest actions that ask for it. */
  guestPatcher?: GuestPatcher;
  log?: RunnerLog;
  /** Told when a worker ends, or fails in a way the engine did not expect. */
  onWorkerEnd?(campaign: string, outcome: WorkerOutcome | { error: unknown }): void;
}

const LEASE_TTL_MS = 15 * 60_000;
/** Campaign states in which the notifier has its last notices to send, and then ends by itself. */
const OVER: readonly CampaignSummary['state'][] = ['completed', 'aborted'];

export function createCampaignRunner(options: CampaignRunnerOptions): CampaignRunner {
  const { store, clock } = options;
  const pacer = createPacer(clock, options.speed);
  const platform = pacer.wrap(options.platform);
  const agent = pacer.wrap(options.agent);
  const pacedClock = pacer.clock();
  const stop = new AbortController();
  let worker: { campaign: string; done: Promise<void> } | undefined;
  let workers = 0;
  /** Ends the worker's wait on owners' gates, so that it runs again at once (an abort does not wait for a notice). */
  let gateWait: AbortController | undefined;
  const notices = createNoticeLoops(options, pacedClock, stop.signal);

  // The summary, not the record: the record carries the whole plan.
  const stateOf = async (id: string) => {
    const found = (await store.campaigns()).find((c) => c.id === id);
    if (found === undefined) return (await store.campaign(id)).state;
    return found.state;
  };
  const set = (id: string, to: CampaignSummary['state'], actor: string, reason: string) =>
    store.setCampaignState(id, to, { actor, reason }, clock.now());

  /** The worker, run again while it stops on gates the notifier will still open by itself. */
  const work = async (campaign: string, notifier: OwnerNotifier | undefined) => {
    const policy = notifier ? { ...options.policy, ownerConsent: notifier.gatedServices } : options.policy;
    const name = () => `api-worker-${process.pid}-${++workers}`;
    for (;;) {
      // Read before the worker starts, so that an approval given while it stops is not missed.
      const known = new Set((await store.approvals(campaign)).map((a) => a.stage));
      const outcome = await runWorker({
        store,
        platform,
        agent,
        clock: pacedClock,
        campaign,
        worker: name(),
        leaseTtlMs: LEASE_TTL_MS,
        signal: stop.signal,
        ...(policy && { policy }),
        ...(options.guestPatcher && { guestPatcher: options.guestPatcher }),
      });
      options.onWorkerEnd?.(campaign, outcome);
      if (outcome.blocked === undefined || notifier === undefined) return outcome;
      const interrupt = new AbortController();
      gateWait = interrupt;
      const signal = AbortSignal.any([stop.signal, interrupt.signal]);
      const opened = await waitForOwnerGates(store, campaign, notifier, known, signal).finally(() => {
        gateWait = undefined;
      });
      if (!opened && !interrupt.signal.aborted) return outcome;
    }
  };

  const ensureWorker = (campaign: string) => {
    if (worker !== undefined || stop.signal.aborted) return;
    const notifier = notices.notifier(campaign);
    if (notifier !== undefined) notices.start(campaign, notifier);
    const done = work(campaign, notifier).then(
      // Once the campaign is over the notifier sends its last notices and ends by itself;
      // otherwise it would wait for an end nobody works towards.
      (outcome) => (OVER.includes(outcome.state) ? undefined : notices.stop(campaign)),
      (error: unknown) => {
        notices.stop(campaign);
        options.onWorkerEnd?.(campaign, { error });
      },
    );
    worker = {
      campaign,
      done: done.finally(() => {
        worker = undefined;
      }),
    };
  };

  const exclusive = (id: string) => {
    if (worker !== undefined && worker.campaign !== id)
      throw new Conflict(`campaign ${worker.campaign} is running on the simulated fleet; one at a time`);
  };

  /** With nobody to notify, notice periods cannot be kept: the log says so rather than ignore them silently. */
  const warnUnheldNotice = async (id: string) => {
    if (options.owners !== undefined || options.log === undefined) return;
    const { plan } = await store.campaign(id);
    // Without owners only the executor policy's consent list holds hosts.
    const held = options.policy?.ownerConsent ?? [];
    const unheld = noticeOnlyServices(serviceImpacts(plan), options.services, held).map((s) => s.id);
    if (unheld.length === 0) return;
    const named = unheld.slice(0, 5);
    const more = unheld.length > named.length ? `, and ${unheld.length - named.length} more` : '';
    options.log.warn(
      { campaign: id, services: unheld },
      `No owners' webhook endpoints (hvpatch serve --owners): ${unheld.length} disrupted service${unheld.length === 1 ? ' asks' : 's ask'} for notice before their guests are touched (${named.join(', ')}${more}); ` +
        'nobody is told, and their hosts are not held for it',
    );
  };

  return {
    async start(id, actor) {
      exclusive(id);
      // Refuses, before the campaign changes, a disrupted service whose owner has no endpoint.
      await notices.prepare(id);
      const summary = await set(id, 'running', actor, 'started');
      ensureWorker(id);
      await warnUnheldNotice(id);
      return summary;
    },
    async pause(id, actor) {
      const summary = await set(id, 'paused', actor, 'paused');
      notices.stop(id);
      return summary;
    },
    async resume(id, actor) {
      exclusive(id);
      await notices.prepare(id);
      const summary = await set(id, 'running', actor, 'resumed');
      // A paused worker is still there, waiting: only the notifier stopped.
      const notifier = notices.notifier(id);
      if (notifier !== undefined) notices.start(id, notifier);
      ensureWorker(id);
      return summary;
    },
    async abort(id, actor) {
      const state = await stateOf(id);
      // Nothing ran yet: nothing to bring back.
      if (state === 'draft' || state === 'approved')
        return set(id, 'aborted', actor, 'aborted before it ran');
      exclusive(id);
      const summary = await set(id, 'aborting', actor, 'aborted');
      gateWait?.abort();
      ensureWorker(id);
      return summary;
    },
    async nudge(id) {
      const state = await stateOf(id);
      if ((state === 'running' || state === 'aborting') && (worker === undefined || worker.campaign === id)) {
        if (state === 'running') await notices.prepare(id);
        ensureWorker(id);
      }
    },
    async resumeRunning(report) {
      const running = (await store.campaigns()).filter((c) => c.state === 'running');
      for (const { id } of running) {
        if (worker !== undefined) {
          report(
            `campaign ${id} is running too, but campaigns run one at a time on the simulated fleet: once campaign ${worker.campaign} is over, pause it and resume it`,
          );
          continue;
        }
        try {
          await notices.prepare(id);
        } catch (error) {
          report(`campaign ${id} is running but was not resumed: ${(error as Error).message}`);
          continue;
        }
        // The owner notifier's loop starts with the worker.
        ensureWorker(id);
        report(`resumed campaign ${id}, which was running when the server stopped`);
      }
    },
    async close() {
      stop.abort();
      pacer.hurry();
      await worker?.done;
      await notices.closed();
    },
  };
}

/**
 * Each campaign's owner notifier, made once (a restarted server makes a new one, which carries
 * on from the store's events), and its loop, run while the campaign runs. A loop started
 * again waits for the one before it to end: two at once could send a notice twice.
 */
function createNoticeLoops(options: CampaignRunnerOptions, clock: Clock, closing: AbortSignal) {
  const made = new Map<string, OwnerNotifier>();
  const loops = new Map<string, { stop: AbortController; done: Promise<void> }>();
  return {
    /** Makes the campaign's notifier when owners are configured; throws what the notifier refuses. */
    async prepare(campaign: string): Promise<void> {
      if (options.owners === undefined || made.has(campaign)) return;
      const notifier = await createOwnerNotifier({
        store: options.store,
        campaign,
        services: options.services,
        ownerConsent: options.ownerConsent ?? [],
        endpoints: options.owners,
        clock,
        // Receivers check a signature's time against their own clock, not the simulation's.
        signingNow: Date.now,
      });
      made.set(campaign, notifier);
    },
    notifier: (campaign: string) => made.get(campaign),
    start(campaign: string, notifier: OwnerNotifier): void {
      const previous = loops.get(campaign);
      if (previous !== undefined && !previous.stop.signal.aborted) return;
      const stop = new AbortController();
      const signal = AbortSignal.any([stop.signal, closing]);
      const done = (previous?.done ?? Promise.resolve())
        .then(async () => {
          if (signal.aborted) return;
          await notifier.run(signal);
          // Ended by itself: the campaign is over and every notice settled.
          if (!signal.aborted) made.delete(campaign);
        })
        .catch((error: unknown) => options.log?.error({ err: error, campaign }, 'owner notifier failed'))
        .finally(() => {
          if (loops.get(campaign)?.done === done) loops.delete(campaign);
        });
      loops.set(campaign, { stop, done });
    },
    stop(campaign: string): void {
      loops.get(campaign)?.stop.abort();
    },
    async closed(): Promise<void> {
      await Promise.all([...loops.values()].map((loop) => loop.done));
    },
  };
}
