import { Conflict } from '../core/errors.js';
import type { HostAgent, Platform, Clock } from '../core/ports.js';
import { runWorker, type ExecutorPolicy, type WorkerOutcome } from '../engine/index.js';
import type { CampaignStore, CampaignSummary } from '../store/index.js';
import { createPacer } from './paced.js';

/**
 * Runs campaigns inside the server, on the simulator, at `speed` times real time. Small on
 * purpose: the state machine lives in the store and the work in the engine's worker; this
 * only moves the state and keeps one worker going while the campaign needs one. One campaign
 * at a time, since they share one simulated fleet.
 */
export interface CampaignRunner {
  start(id: string, actor: string): Promise<CampaignSummary>;
  pause(id: string, actor: string): Promise<CampaignSummary>;
  resume(id: string, actor: string): Promise<CampaignSummary>;
  abort(id: string, actor: string): Promise<CampaignSummary>;
  /** After an approval: a worker that stopped waiting on it goes on. */
  nudge(id: string): Promise<void>;
  /** Stops taking hosts, finishes those in flight without pacing, and waits for the worker. */
  close(): Promise<void>;
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
  /** Told when a worker ends, or fails in a way the engine did not expect. */
  onWorkerEnd?(campaign: string, outcome: WorkerOutcome | { error: unknown }): void;
}

const LEASE_TTL_MS = 15 * 60_000;

export function createCampaignRunner(options: CampaignRunnerOptions): CampaignRunner {
  const { store, clock } = options;
  const pacer = createPacer(clock, options.speed);
  const platform = pacer.wrap(options.platform);
  const agent = pacer.wrap(options.agent);
  const pacedClock = pacer.clock();
  const stop = new AbortController();
  let worker: { campaign: string; done: Promise<void> } | undefined;
  let workers = 0;

  // The summary, not the record: the record carries the whole plan.
  const stateOf = async (id: string) => {
    const found = (await store.campaigns()).find((c) => c.id === id);
    if (found === undefined) return (await store.campaign(id)).state;
    return found.state;
  };
  const set = (id: string, to: CampaignSummary['state'], actor: string, reason: string) =>
    store.setCampaignState(id, to, { actor, reason }, clock.now());

  const ensureWorker = (campaign: string) => {
    if (worker !== undefined || stop.signal.aborted) return;
    const name = `api-worker-${process.pid}-${++workers}`;
    const done = runWorker({
      store,
      platform,
      agent,
      clock: pacedClock,
      campaign,
      worker: name,
      leaseTtlMs: LEASE_TTL_MS,
      signal: stop.signal,
      ...(options.policy && { policy: options.policy }),
    }).then(
      (outcome) => options.onWorkerEnd?.(campaign, outcome),
      (error: unknown) => options.onWorkerEnd?.(campaign, { error }),
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

  return {
    async start(id, actor) {
      exclusive(id);
      const summary = await set(id, 'running', actor, 'started');
      ensureWorker(id);
      return summary;
    },
    async pause(id, actor) {
      return set(id, 'paused', actor, 'paused');
    },
    async resume(id, actor) {
      exclusive(id);
      const summary = await set(id, 'running', actor, 'resumed');
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
      ensureWorker(id);
      return summary;
    },
    async nudge(id) {
      const state = await stateOf(id);
      if ((state === 'running' || state === 'aborting') && (worker === undefined || worker.campaign === id))
        ensureWorker(id);
    },
    async close() {
      stop.abort();
      pacer.hurry();
      await worker?.done;
    },
  };
}
