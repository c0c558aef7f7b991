import type { Cluster, FailureDomain, Platform, Site } from '../model/index.js';
import { GENERATIONS, type HardwareGeneration } from './hardware.js';
import { RELEASES, type ReleaseSoftware, type ReleaseVersion } from './packages.js';
import { weightedTable, type Random } from './rng.js';

/** Sites in the order they are opened: a small fleet has one, a large one spans regions. */
const SITES: readonly Site[] = [
  { id: 'fra1', region: 'eu-central', description: 'Frankfurt 1' },
  { id: 'ams1', region: 'eu-west', description: 'Amsterdam 1' },
  { id: 'iad1', region: 'us-east', description: 'Ashburn 1' },
  { id: 'fra2', region: 'eu-central', description: 'Frankfurt 2' },
  { id: 'sjc1', region: 'us-west', description: 'San Jose 1' },
  { id: 'dub1', region: 'eu-west', description: 'Dublin 1' },
  { id: 'sin1', region: 'ap-southeast', description: 'Singapore 1' },
  { id: 'iad2', region: 'us-east', description: 'Ashburn 2' },
];
/** Hosts per site before another site opens; ~600 keeps a 5,000-host fleet on all eight. */
const HOSTS_PER_SITE = 600;
/** A nova cell or libvirt pool of a few hundred hypervisors. */
const HOSTS_PER_CLUSTER = 300;

const PLATFORMS = weightedTable<Platform>([
  ['openstack-kvm', 0.8],
  ['libvirt-kvm', 0.2],
]);
const RELEASE_MIX = weightedTable<ReleaseVersion>([
  ['20.04', 0.25],
  ['22.04', 0.5],
  ['24.04', 0.25],
]);

/** One cluster's decisions that its hosts inherit. */
export interface ClusterPlan {
  readonly cluster: Cluster;
  readonly site: Site;
  readonly release: ReleaseSoftware;
  /** One generation, or an older and a newer one when the cluster was extended. */
  readonly generations: readonly HardwareGeneration[];
  /**
   * nova's ratios: 27.0.0 (Antelope) defaults to 4.0 CPU / 1.0 RAM; clusters deployed on
   * older releases kept 16.0 CPU (fleet-facts §3). Memory is never overcommitted here.
   */
  readonly cpuAllocationRatio: number;
  readonly memoryAllocationRatio: number;
  /** How far along each package track (0 = oldest, 1 = the fix) the cluster's last patch wave got. */
  readonly patchLevel: number;
}

export interface HostSlot {
  readonly plan: ClusterPlan;
  readonly id: string;
  readonly rack: string;
  readonly generation: HardwareGeneration;
}

export interface Topology {
  readonly sites: Site[];
  readonly failureDomains: FailureDomain[];
  readonly plans: ClusterPlan[];
  readonly slots: HostSlot[];
}

/**
 * Sites hold availability zones, zones hold racks, and a cluster fills whole racks spread
 * round-robin over its site's zones, so losing one zone never takes a whole cluster.
 */
export function layOutTopology(rng: Random, hostCount: number): Topology {
  const siteCount = Math.min(SITES.length, Math.ceil(hostCount / HOSTS_PER_SITE));
  const sites = SITES.slice(0, siteCount).map((site) => ({ ...site }));
  const failureDomains: FailureDomain[] = [];
  const plans: ClusterPlan[] = [];
  const slots: HostSlot[] = [];
  sites.forEach((site, siteIndex) => {
    const siteHosts = share(hostCount, siteCount, siteIndex);
    const zoneCount = siteHosts >= 60 ? 3 : siteHosts >= 20 ? 2 : 1;
    const zones: string[] = [];
    for (let z = 1; z <= zoneCount; z++) {
      const id = `${site.id}-az${z}`;
      zones.push(id);
      failureDomains.push({ id, kind: 'availability-zone', site: site.id });
    }
    const clusterCount = Math.max(1, Math.round(siteHosts / HOSTS_PER_CLUSTER));
    let rackNumber = 0;
    let hostNumber = 0;
    for (let c = 0; c < clusterCount; c++) {
      const plan = planCluster(rng, site, c, plans.length === 0);
      plans.push(plan);
      const clusterHosts = share(siteHosts, clusterCount, c);
      const olderRacks = plan.generations.length > 1 ? Math.ceil(clusterHosts / 20 / 2) : Infinity;
      let placed = 0;
      let clusterRack = 0;
      while (placed < clusterHosts) {
        const rack = `${site.id}-r${String(++rackNumber).padStart(3, '0')}`;
        failureDomains.push({
          id: rack,
          kind: 'rack',
          site: site.id,
          parent: zones[(rackNumber - 1) % zones.length]!,
        });
        // Racks are bought whole, so a rack holds one hardware generation.
        const generation = plan.generations[clusterRack < olderRacks ? 0 : 1]!;
        const inRack = Math.min(clusterHosts - placed, rng.int(16, 24));
        for (let h = 0; h < inRack; h++) {
          slots.push({
            plan,
            id: `${site.id}-cmp${String(++hostNumber).padStart(4, '0')}`,
            rack,
            generation,
          });
        }
        placed += inRack;
        clusterRack++;
      }
    }
  });
  return { sites, failureDomains, plans, slots };
}

function planCluster(rng: Random, site: Site, index: number, first: boolean): ClusterPlan {
  // The first cluster is OpenStack on 22.04 so that even a one-host fleet looks typical.
  const platform = first ? 'openstack-kvm' : rng.weighted(PLATFORMS);
  const release = RELEASES[first ? '22.04' : rng.weighted(RELEASE_MIX)];
  const eligible = GENERATIONS.filter((generation) => generation.releases.includes(release.version));
  const older = rng.pick(eligible);
  const newer = eligible.filter(
    (generation) =>
      GENERATIONS.indexOf(generation) > GENERATIONS.indexOf(older) && generation.vendor === older.vendor,
  );
  const generations = newer.length > 0 && rng.chance(0.3) ? [older, rng.pick(newer)] : [older];
  const legacyNova = platform === 'openstack-kvm' && release.version === '20.04' && rng.chance(0.5);
  return {
    cluster: {
      id: `${site.id}-c${String(index + 1).padStart(2, '0')}`,
      site: site.id,
      platform,
      description: `${platform === 'openstack-kvm' ? 'nova cell' : 'libvirt pool'} on Ubuntu ${release.version} (${generations.map((g) => g.id).join(' + ')})`,
    },
    site,
    release,
    generations,
    cpuAllocationRatio: legacyNova ? 16 : 4,
    memoryAllocationRatio: 1,
    patchLevel: rng.float(),
  };
}

/** The `index`-th of `parts` near-equal shares of `total`. */
function share(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}
