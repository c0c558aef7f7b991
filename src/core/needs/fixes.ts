import type { Advisory } from '../advisories/index.js';
import { compareDebianVersions } from '../versions/index.js';

/** One advisory's fix for one source package in one release. */
export interface Fix {
  advisory: Advisory;
  fixed: string;
  introduced?: string;
  /** Published to Ubuntu Pro (ESM) subscribers only. */
  pro: boolean;
}

const NONE: readonly Fix[] = Object.freeze([]);

export function fixKey(distro: string, release: string, source: string): string {
  return `${distro.toLowerCase()}\u0000${release}\u0000${source}`;
}

/**
 * Every fix indexed once by (distro, release, source) and sorted highest fixed version first,
 * so that the fixes a version lacks are a prefix found by binary search. Fleets repeat the
 * same few versions on thousands of hosts, so each selection is also kept per version.
 */
export class FixIndex {
  private readonly lists = new Map<string, Fix[]>();
  private readonly selections = new Map<string, readonly Fix[]>();

  constructor(advisories: readonly Advisory[]) {
    for (const advisory of advisories) {
      // Livepatch notices say which running kernels a live patch covers; the kernel
      // package carrying the same fix always has its own USN.
      if (advisory.kind === 'lsn') continue;
      for (const entry of advisory.affected) {
        // Nothing to install yet: not a change hvpatch can plan.
        if (entry.fixed === undefined) continue;
        const { ecosystem } = entry;
        const key = fixKey(ecosystem.distro, ecosystem.release, entry.sourcePackage);
        const fix: Fix = {
          advisory,
          fixed: entry.fixed,
          ...(entry.introduced !== undefined && { introduced: entry.introduced }),
          pro: ecosystem.pro,
        };
        const list = this.lists.get(key);
        if (!list) {
          this.lists.set(key, [fix]);
          continue;
        }
        // One advisory listing a release both plain and Pro: the plain archive reaches every host.
        const same = list.findIndex((other) => other.advisory === advisory);
        if (same === -1) list.push(fix);
        else if (list[same]!.pro && !fix.pro) list[same] = fix;
      }
    }
    for (const list of this.lists.values()) {
      list.sort(
        (a, b) => compareDebianVersions(b.fixed, a.fixed) || compareText(a.advisory.id, b.advisory.id),
      );
    }
  }

  has(key: string): boolean {
    return this.lists.has(key);
  }

  /** Fixes that `version` lacks. */
  missingAt(key: string, version: string): readonly Fix[] {
    return this.select(`m\u0000${key}\u0000${version}`, key, (list) =>
      list.slice(0, boundary(list, version)).filter((fix) => introducedBy(fix, version)),
    );
  }

  /** Fixes that `newer` has and `older` lacks: installed, not in effect where `older` runs. */
  installedNotRunning(key: string, older: string, newer: string): readonly Fix[] {
    return this.select(`b\u0000${key}\u0000${older}\u0000${newer}`, key, (list) =>
      list.slice(boundary(list, newer), boundary(list, older)).filter((fix) => introducedBy(fix, older)),
    );
  }

  /** The most recent fix `version` has (all advisories sharing that fixed version). */
  latestFixIn(key: string, version: string): readonly Fix[] {
    return this.select(`l\u0000${key}\u0000${version}`, key, (list) => {
      const start = boundary(list, version);
      const first = list[start];
      if (first === undefined) return [];
      return list.filter((fix, i) => i >= start && compareDebianVersions(fix.fixed, first.fixed) === 0);
    });
  }

  /** The fixes whose fixed version is exactly `version`: the notices that published it. */
  publishing(key: string, version: string): readonly Fix[] {
    return this.select(`p\u0000${key}\u0000${version}`, key, (list) =>
      list.filter((fix) => compareDebianVersions(fix.fixed, version) === 0),
    );
  }

  private select(cacheKey: string, key: string, pick: (list: Fix[]) => Fix[]): readonly Fix[] {
    const list = this.lists.get(key);
    if (list === undefined) return NONE;
    let selected = this.selections.get(cacheKey);
    if (selected === undefined) {
      const picked = pick(list);
      selected = picked.length === 0 ? NONE : picked;
      this.selections.set(cacheKey, selected);
    }
    return selected;
  }
}

/** Index of the first fix whose fixed version is at or below `version` (list is descending). */
function boundary(list: readonly Fix[], version: string): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareDebianVersions(list[middle]!.fixed, version) > 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

function introducedBy(fix: Fix, version: string): boolean {
  return fix.introduced === undefined || compareDebianVersions(version, fix.introduced) >= 0;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
