import { z } from 'zod';
import type { Advisory, LivepatchCoverage } from './model.js';
import { compareCves, normaliseCve } from './cves.js';
import { schemaFindings, warning, type Finding } from './findings.js';
import { checkedModuleRegex } from './livepatch.js';
import { ubuntuVersionOf } from './releases.js';

/**
 * Canonical's own Livepatch notice format (`lsn/LSN-*.json` in ubuntu-security-notices):
 * per release codename, `sources.<flavour>.version` is the lowest kernel ABI the patch
 * applies to and `allbinaries.<flavour>` names the module and the livepatch version.
 */
const KernelAbi = z.string().regex(/^\d+\.\d+\.\d+-\d+$/, 'is not a kernel ABI version such as 5.15.0-24');

const NativeLsn = z.looseObject({
  id: z.string().regex(/^LSN-\d{4}-\d+$/, 'is not a Livepatch notice id such as LSN-0106-1'),
  summary: z.string().optional(),
  title: z.string().optional(),
  cves: z.array(z.string()),
  // Seconds since the epoch; the bounds catch milliseconds and garbage, not real notices.
  timestamp: z
    .number()
    .min(946_684_800, 'is before 2000: not a Unix time in seconds')
    .max(4_102_444_800, 'is after 2100: not a Unix time in seconds'),
  releases: z.record(
    z.string(),
    z.looseObject({
      sources: z.record(z.string(), z.looseObject({ version: KernelAbi })),
      allbinaries: z
        .record(
          z.string(),
          z.looseObject({
            module: z.string().min(1),
            version: z.string().regex(/^\d{1,6}$/, 'is not a livepatch version number'),
          }),
        )
        .default({}),
    }),
  ),
});

type NativeLsn = z.infer<typeof NativeLsn>;

export function readNativeLsn(json: unknown, origin: string): { advisory?: Advisory; findings: Finding[] } {
  const parsed = NativeLsn.safeParse(json);
  if (!parsed.success) return { findings: schemaFindings(parsed.error, json) };
  const notice = parsed.data;
  const findings: Finding[] = [];

  const cves = new Set<string>();
  notice.cves.forEach((id, j) => {
    const cve = normaliseCve(id);
    if (cve) cves.add(cve);
    else findings.push(warning(['cves', j], `'${id}' is not a CVE id; it is ignored`));
  });

  const livepatch = readCoverage(notice.releases, findings);

  const at = isoInstant(notice.timestamp * 1000);
  return {
    findings,
    advisory: {
      id: notice.id,
      kind: 'lsn',
      summary: notice.summary ?? notice.title ?? '',
      published: at,
      modified: at,
      cves: [...cves].sort(compareCves),
      severities: [],
      affected: [],
      livepatch,
      origin,
    },
  };
}

function readCoverage(releases: NativeLsn['releases'], findings: Finding[]): LivepatchCoverage[] {
  const livepatch: LivepatchCoverage[] = [];
  for (const [codename, release] of Object.entries(releases)) {
    const version = ubuntuVersionOf(codename);
    if (version === undefined) {
      const message = `'${codename}' is not an Ubuntu release hvpatch knows; its coverage is skipped`;
      findings.push(warning(['releases', codename], message));
      continue;
    }
    for (const [flavour, source] of Object.entries(release.sources)) {
      const binary = Object.hasOwn(release.allbinaries, flavour) ? release.allbinaries[flavour] : undefined;
      const where = ['releases', codename, 'allbinaries', flavour, 'module'];
      const moduleRegex = binary && checkedModuleRegex(binary.module, where, findings);
      livepatch.push({
        release: { codename, version },
        flavour,
        coveredFrom: source.version,
        ...(binary && { livepatchVersion: Number(binary.version) }),
        ...(moduleRegex && { moduleRegex }),
      });
    }
    for (const flavour of Object.keys(release.allbinaries)) {
      if (!Object.hasOwn(release.sources, flavour)) {
        const message = 'has a live patch module but no covered kernel under sources; it is skipped';
        findings.push(warning(['releases', codename, 'allbinaries', flavour], message));
      }
    }
  }
  const byFlavour = (a: LivepatchCoverage, b: LivepatchCoverage) =>
    a.flavour! < b.flavour! ? -1 : a.flavour! > b.flavour! ? 1 : 0;
  return livepatch.sort((a, b) => Number(a.release.version) - Number(b.release.version) || byFlavour(a, b));
}

/** `2024-08-20T06:15:32Z`: the OSV style, without a `.000` that says nothing. */
function isoInstant(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
