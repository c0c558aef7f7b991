/** The durable campaign executor: what the CLI and the API start and drive. */
export { runWorker, type RunWorkerOptions, type WorkerOutcome } from './executor/worker.js';
export { startCampaign, planStages } from './executor/campaign.js';
export { DEFAULT_POLICY, DISABLE_REASON, type ExecutorPolicy } from './executor/policy.js';
