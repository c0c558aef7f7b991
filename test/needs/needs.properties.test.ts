import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Advisory } from '../../src/core/advisories/index.js';
import { computeNeeds } from '../../src/core/needs/index.js';
import { compareDebianVersions } from '../../src/core/versions/index.js';
import { fleet, guest, host, sharedAdvisories } from './fixtures.js';

const NOW = Date.parse('2024-06-01T00:00:00Z');

/** Per release and source package: every version the notices name, oldest first, and the highest fix. */
interface Universe {
  release: string;
  sources: { source: string; versions: string[]; highestFix: string }[];
}

let shared: Advisory[];
let universes: Universe[];

beforeAll(async () => {
  shared = await sharedAdvisories();
  const byRelease = new Map<string, Map<string, Set<string>>>();
  const fixes = new Map<string, string>();
  for (const advisory of shared) {
    if (advisory.kind === 'lsn') continue;
    for (const entry of advisory.affected) {
      if (entry.fixed === undefined) continue;
      const { release } = entry.ecosystem;
      const sources = byRelease.get(release) ?? new Map<string, Set<string>>();
      byRelease.set(release, sources);
      const versions = sources.get(entry.sourcePackage) ?? new Set<string>();
      sources.set(entry.sourcePackage, versions);
      for (const version of [...(entry.affectedVersions ?? []), entry.fixed]) versions.add(version);
      const key = `${release} ${entry.sourcePackage}`;
      const known = fixes.get(key);
      if (known === undefined || compareDebianVersions(entry.fixed, known) > 0) fixes.set(key, entry.fixed);
    }
  }
  universes = [...byRelease].map(([release, sources]) => ({
    release,
    sources: [...sources].map(([source, versions]) => ({
      source,
      versions: [...versions].sort(compareDebianVersions),
      highestFix: fixes.get(`${release} ${source}`)!,
    })),
  }));
});

const isKernel = (source: string) => source === 'linux' || source.startsWith('linux-');

/** A host of `release` with one package per source; kernels as kernel images, nothing else running. */
function machine(release: string, installed: ReadonlyMap<string, string>, qemuFallback: string) {
  return host('h', {
    os: { name: 'Ubuntu', version: release, pro: true },
    qemuVersion: installed.get('qemu') ?? qemuFallback,
    packages: [...installed].map(([source, version]) => ({
      name: isKernel(source) ? `linux-image-${source}` : `${source}-bin`,
      version,
      source,
    })),
  });
}

const picks = () =>
  fc.record({
    universe: fc.nat(),
    chosen: fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
    positions: fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), {
      minLength: 12,
      maxLength: 12,
    }),
    raise: fc.nat(),
    by: fc.double({ min: 0, max: 1, noNaN: true }),
    suffix: fc.boolean(),
  });

describe('needs, as properties over the shared advisories', () => {
  it('a host at or above every fixed version, running what it installed, has no needs and complies', () => {
    fc.assert(
      fc.property(picks(), ({ universe, chosen, suffix }) => {
        const { release, sources } = universes[universe % universes.length]!;
        const installed = new Map<string, string>();
        for (const index of chosen) {
          const { source, highestFix } = sources[index % sources.length]!;
          installed.set(source, suffix ? `${highestFix}+hv1` : highestFix);
        }
        const qemu = sources.find((entry) => entry.source === 'qemu')?.highestFix ?? '1:9.2+ds-1';
        const subject = machine(release, installed, qemu);
        const kernel = [...installed].find(([source]) => isKernel(source));
        if (kernel)
          subject.runningKernel = { release: '5.15.0-1-generic', source: kernel[0], version: kernel[1] };
        const guests = [guest('g', 'h', subject.qemuVersion)];
        const [entry] = computeNeeds(fleet([subject], guests), shared, { now: NOW });
        expect(entry!.needs).toEqual([]);
        expect(entry!.compliant).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('raising an installed version never adds a need', () => {
    fc.assert(
      fc.property(picks(), ({ universe, chosen, positions, raise, by, suffix }) => {
        const { release, sources } = universes[universe % universes.length]!;
        const installed = new Map<string, string>();
        chosen.forEach((index, i) => {
          const { source, versions } = sources[index % sources.length]!;
          installed.set(source, versions[Math.floor(positions[i]! * versions.length)]!);
        });
        const [source, before] = [...installed][raise % installed.size]!;
        const versions = sources.find((entry) => entry.source === source)!.versions;
        const higher = versions.filter((version) => compareDebianVersions(version, before) >= 0);
        const after = higher[Math.min(higher.length - 1, Math.floor(by * higher.length))]!;
        const raised = new Map(installed).set(source, suffix ? `${after}+hv1` : after);

        const pairs = (versions: ReadonlyMap<string, string>) => {
          const [entry] = computeNeeds(fleet([machine(release, versions, '1:9.2+ds-1')]), shared, {
            now: NOW,
          });
          return new Set(
            entry!.needs.flatMap((need) =>
              need.advisories.map((id) => `${need.package} ${id} ${need.inEffect}`),
            ),
          );
        };
        const was = pairs(installed);
        for (const pair of pairs(raised))
          expect(was, `raising ${source} ${before} → ${after}`).toContain(pair);
      }),
      { numRuns: 300 },
    );
  });
});
