import type { Advisory } from '../advisories/index.js';
import type { Component, InstalledPackage } from '../model/index.js';
import { compareDebianVersions } from '../versions/index.js';
import { fixKey, FixIndex } from './fixes.js';
import { isKernelImage, sourceOf } from './kernel.js';

/**
 * What one supporting component needs: the package fixes its OS lacks (DNS and directory
 * servers are Ubuntu VMs, read against the same advisories as the hosts) and the firmware
 * staged on it and not yet active (storage arrays, switches). A component is not a
 * hypervisor: nothing runs on it that a live patch or a migration could spare, so any of
 * these takes a restart of the component to take effect.
 */
export interface ComponentNeeds {
  component: string;
  packages: { source: string; installed: string; fixed: string; advisories: string[] }[];
  /** Firmware entries with a staged version, activated by the restart. */
  firmware: { component: string; version: string; staged: string }[];
}

/** Components with something to do, in fleet order; the others are left out. */
export function computeComponentNeeds(
  components: readonly Component[],
  advisories: readonly Advisory[],
): ComponentNeeds[] {
  const fixes = new FixIndex(advisories);
  const needs: ComponentNeeds[] = [];
  for (const component of components) {
    const packages: ComponentNeeds['packages'] = [];
    if (component.os) {
      for (const [source, installed] of installedBySource(component.packages)) {
        const key = fixKey(component.os.name, component.os.version, source);
        const missing = fixes.has(key) ? fixes.missingAt(key, installed) : [];
        if (missing.length === 0) continue;
        // The index keeps fixes highest first: the first missing one is the version to reach.
        packages.push({
          source,
          installed,
          fixed: missing[0]!.fixed,
          advisories: [...new Set(missing.map((fix) => fix.advisory.id))],
        });
      }
    }
    const firmware = component.firmware
      .filter((entry) => entry.staged !== undefined && entry.staged !== entry.version)
      .map((entry) => ({ component: entry.component, version: entry.version, staged: entry.staged! }));
    if (packages.length > 0 || firmware.length > 0)
      needs.push({ component: component.id, packages, firmware });
  }
  return needs;
}

/**
 * Installed version per source: the newest kernel (the one that boots next), otherwise the
 * lowest of the source's binaries (one left behind keeps the source vulnerable).
 */
function installedBySource(packages: readonly InstalledPackage[]): Map<string, string> {
  const kernels = new Set(packages.filter(isKernelImage).map(sourceOf));
  const bySource = new Map<string, string>();
  for (const pkg of packages) {
    const source = sourceOf(pkg);
    const known = bySource.get(source);
    const direction = kernels.has(source) ? 1 : -1;
    if (known === undefined || compareDebianVersions(pkg.version, known) * direction > 0)
      bySource.set(source, pkg.version);
  }
  return bySource;
}
