import type { BaselineRules, Job } from './scheduler.js';

/**
 * Cluster-Aware Updating (Windows Server failover clusters): one node of a cluster at a
 * time is paused and drained, each role to the node with the most free memory at that
 * moment, then updated, restarted and resumed. Clusters update independently, in parallel.
 */
export const CAU: BaselineRules = {
  planner: 'cau',
  targetRule: 'most-free-memory',
  perClusterAtOnce: 1,
  batches: (jobs) => [[...jobs]],
  avoidBatch: false,
  movesAgain: (from) =>
    `Cluster-Aware Updating drained it onto ${from} before updating that node, and now drains ${from}`,
};

/**
 * `nova host-evacuate-live`, run host after host in each cluster, clusters in parallel as
 * far as the limits allow: every instance is live-migrated wherever the scheduler's
 * default weighers put it among the enabled hosts, patched or not.
 */
export const NOVA_EVACUATE: BaselineRules = {
  planner: 'nova-evacuate',
  targetRule: 'nova-weighers',
  perClusterAtOnce: 1,
  batches: (jobs) => [[...jobs]],
  avoidBatch: false,
  movesAgain: (from) =>
    `nova's scheduler placed it on ${from}, not yet patched, and host-evacuate-live now empties ${from}`,
};

/**
 * An Ansible play with `serial: 10%`: a tenth of the hosts (at least one, rounded down as
 * Ansible does) per batch; each batch drains onto hosts outside it, is patched and
 * rebooted, and the next batch starts when the whole batch is done. The inventory takes
 * hosts of each migration group in turn (the first of every group, then the second…):
 * listed group by group, a batch would hold whole groups with nowhere to drain, which no
 * operator would run.
 */
export const ANSIBLE_SERIAL: BaselineRules = {
  planner: 'ansible-serial',
  targetRule: 'most-free-memory',
  perClusterAtOnce: Infinity,
  batches: (jobs) => {
    const size = Math.max(1, Math.floor(jobs.length * 0.1));
    const inventory = inTurns(jobs);
    const batches: Job[][] = [];
    for (let i = 0; i < inventory.length; i += size) batches.push(inventory.slice(i, i + size));
    return batches;
  },
  avoidBatch: true,
  movesAgain: (from) =>
    `the Ansible play drained it onto ${from}, outside its batch then, and a later batch patches ${from}`,
};

/** The first job of each migration group, then the second of each, and so on. */
function inTurns(jobs: readonly Job[]): Job[] {
  const turn = new Map<string, number>();
  const keyed = jobs.map((job, i) => {
    const n = turn.get(job.group) ?? 0;
    turn.set(job.group, n + 1);
    return { job, n, i };
  });
  return keyed.sort((a, b) => a.n - b.n || a.i - b.i).map(({ job }) => job);
}
