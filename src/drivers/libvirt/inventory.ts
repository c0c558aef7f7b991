import { DomainState, PAUSED_MIGRATION, parseDomstats, parseNames, type DomainStats } from './parse.js';
import type { Virsh } from './virsh.js';

export interface LibvirtHost {
  id: string;
  /** libvirt URI of the host, e.g. `qemu+tcp://10.77.0.11/system` or `qemu+ssh://root@hv1/system`. */
  uri: string;
  /** Capacity to account against; by default what `virsh nodeinfo` reports. */
  memoryCeilingMiB?: number;
  vcpuCeiling?: number;
}

export interface Domain extends DomainStats {
  host: string;
  persistent: boolean;
}

/** Every domain libvirt knows on one host, running or not. */
export async function domainsOn(virsh: Virsh, host: LibvirtHost): Promise<Domain[]> {
  const [stats, transient] = await Promise.all([
    virsh.run(host.uri, ['domstats', '--state', '--balloon', '--vcpu']),
    virsh.run(host.uri, ['list', '--all', '--transient', '--name']),
  ]);
  const transientNames = new Set(parseNames(transient));
  return parseDomstats(stats).map((d) => ({ ...d, host: host.id, persistent: !transientNames.has(d.name) }));
}

export function isActive(domain: DomainStats): boolean {
  return (
    domain.state !== DomainState.shutOff &&
    domain.state !== DomainState.crashed &&
    domain.state !== DomainState.noState
  );
}

/**
 * The destination's half of a live migration: libvirt creates it transient and paused while
 * memory is copied in. Until the switch-over the guest runs on the source, so this copy is
 * not where the guest is.
 */
export function isIncomingCopy(domain: Domain): boolean {
  return !domain.persistent && domain.state === DomainState.paused && domain.reason === PAUSED_MIGRATION;
}

/**
 * Where each guest is, when several hosts know a domain of that name (both ends of a
 * migration, or a stale definition left on a former host): the copy that is not an
 * incoming migration wins, and among those one that runs.
 */
export function placeGuests(domains: readonly Domain[]): Map<string, Domain> {
  const score = (d: Domain) => (isIncomingCopy(d) ? 0 : 2) + (isActive(d) ? 1 : 0);
  const placed = new Map<string, Domain>();
  for (const domain of domains) {
    const known = placed.get(domain.name);
    if (!known || score(domain) > score(known)) placed.set(domain.name, domain);
  }
  return placed;
}
