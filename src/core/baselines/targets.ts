import type { FleetState } from './state.js';

/**
 * How a baseline's scheduler ranks the hosts a guest could go to. Neither prefers patched
 * hosts, which is why their guests may move more than once:
 * - `most-free-memory`: the node with the most free memory (Failover Clustering's choice
 *   for a drain, and what Ansible drain roles that call live-migrate without a host get);
 * - `nova-weighers`: nova's default weighers, free RAM plus free vCPUs, each normalised to
 *   0–1 over the candidates with multiplier 1 (RAMWeigher, CPUWeigher), highest first.
 */
export type TargetRule = 'most-free-memory' | 'nova-weighers';

/**
 * Enabled hosts of the source's migration group with a migration slot and the link to the
 * source free: what every guest of one drain step chooses from.
 */
export function hostsWithSlots(
  state: FleetState,
  source: number,
  avoid: (host: number) => boolean,
): number[] {
  const { limits } = state;
  const free: number[] = [];
  for (const host of state.groupMembers.get(state.hosts[source].migrationGroup) ?? []) {
    if (host === source || state.disabled[host] || state.migrationsAt[host] >= limits.migrationsPerHost)
      continue;
    if (avoid(host) || state.linkLoad(source, host) >= limits.migrationsPerLink) continue;
    free.push(host);
  }
  return free;
}

export interface TargetQuery {
  guest: number;
  source: number;
  rule: TargetRule;
  /** From `hostsWithSlots`. */
  candidates: readonly number[];
  /** The only host allowed, to keep an affinity group together. */
  only?: number;
  /** A last say on the best candidate (the migration must converge over that pair's link); the next best is tried when it declines. */
  accept: (host: number) => boolean;
}

/**
 * The best candidate that can take the guest now: room within the evacuation ceiling for
 * memory and vCPUs, no other member of its anti-affinity group, and a QEMU no older than
 * the source's. Asked once per migration over groups of hundreds of hosts, so it keeps to
 * flat arrays: one pass to find who fits, one per pick.
 */
export function findTarget(state: FleetState, query: TargetQuery): number | undefined {
  const spec = state.guests[query.guest];
  const source = query.source;
  const fits: number[] = [];
  const freeMemory: number[] = [];
  const freeVcpu: number[] = [];
  for (const host of query.candidates) {
    if (query.only !== undefined && host !== query.only) continue;
    if (state.memory[host] + spec.memoryMiB > state.memoryRoom[host]) continue;
    if (state.vcpu[host] + spec.vcpu > state.vcpuRoom[host]) continue;
    if (spec.antiAffinityGroup !== null && state.antiAffinity[host].get(spec.antiAffinityGroup)) continue;
    if (!state.qemuAllows(source, host)) continue;
    fits.push(host);
    freeMemory.push(state.hosts[host].memoryCeilingMiB - state.memory[host]);
    freeVcpu.push(state.hosts[host].vcpuCeiling - state.vcpu[host]);
  }
  const scores = query.rule === 'most-free-memory' ? freeMemory : novaWeights(freeMemory, freeVcpu);
  // Usually the best is accepted: pick maxima one at a time instead of sorting.
  for (let left = fits.length; left > 0; left--) {
    let best = 0;
    for (let i = 1; i < left; i++) {
      if (scores[i] > scores[best] || (scores[i] === scores[best] && fits[i] < fits[best])) best = i;
    }
    const host = fits[best];
    if (query.accept(host)) return host;
    fits[best] = fits[left - 1];
    scores[best] = scores[left - 1];
  }
  return undefined;
}

/** nova's RAMWeigher plus CPUWeigher, each normalised as nova.weights.normalize does. */
function novaWeights(freeMemory: readonly number[], freeVcpu: readonly number[]): number[] {
  const ram = normalise(freeMemory);
  const cpu = normalise(freeVcpu);
  return ram.map((weight, i) => weight + cpu[i]);
}

/** Min–max to 0–1, all 0 when the values are equal. */
function normalise(values: readonly number[]): number[] {
  let low = Infinity;
  let high = -Infinity;
  for (const value of values) {
    low = Math.min(low, value);
    high = Math.max(high, value);
  }
  return values.map((value) => (high === low ? 0 : (value - low) / (high - low)));
}
