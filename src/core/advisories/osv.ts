import type { Advisory, AdvisoryKind, AffectedPackage, LivepatchCoverage } from './model.js';
import { compareCves, normaliseCve } from './cves.js';
import { CveSeverities } from './cve-severities.js';
import { schemaFindings, warning, type Finding } from './findings.js';
import { readAffected } from './osv-affected.js';
import { OsvRecord } from './osv-schema.js';
import { overallSeverity } from './severity.js';

/** An OSV record from Ubuntu (USN, LSN; schema 1.6 or 1.7) or Debian (DSA, DLA, DEBIAN-CVE). */
export function readOsv(json: object, origin: string): { advisory?: Advisory; findings: Finding[] } {
  const parsed = OsvRecord.safeParse(json);
  if (parsed.success && parsed.data.withdrawn !== undefined) {
    const { id, withdrawn } = parsed.data;
    return { findings: [warning(['withdrawn'], `${id} was withdrawn on ${withdrawn}; it is not loaded`)] };
  }
  // Entries are read even when the record's own fields are wrong, so that one pass names every problem.
  const findings = parsed.success ? [] : schemaFindings(parsed.error, json);
  const { id, affected: entries } = json as { id?: unknown; affected?: unknown };
  const noticeId = typeof id === 'string' ? id : '';
  const kind = kindOf(noticeId);
  const severities = new CveSeverities();
  const affected: AffectedPackage[] = [];
  const livepatch: LivepatchCoverage[] = [];
  const context = { id: noticeId, livepatchNotice: kind === 'lsn', severities, findings };
  if (Array.isArray(entries)) {
    entries.forEach((entry, i) => {
      const read = readAffected(entry, i, context);
      if (read.affected) affected.push(read.affected);
      if (read.livepatch) livepatch.push(read.livepatch);
    });
  }
  if (!parsed.success) return { findings };
  const record = parsed.data;

  // 1.7 records list CVEs in `upstream` (UBUNTU-CVE-…), 1.6 ones in `related`, Debian's in `aliases`/`related`.
  const cves = new Set(severities.cves());
  for (const field of ['aliases', 'related', 'upstream'] as const) {
    record[field]?.forEach((id, j) => {
      const cve = normaliseCve(id);
      if (cve) {
        cves.add(cve);
      } else if (/CVE-/i.test(id)) {
        findings.push(warning([field, j], `'${id}' looks like a CVE id but is not one; it is ignored`));
      }
    });
  }
  if (findings.some((finding) => finding.fatal)) return { findings };

  const rated = severities.rated().sort((a, b) => compareCves(a.cve, b.cve));
  const severity = overallSeverity(rated);
  return {
    findings,
    advisory: {
      id: record.id,
      kind,
      summary: record.summary ?? record.details?.trim().split('\n')[0] ?? '',
      ...(record.published !== undefined && { published: record.published }),
      modified: record.modified,
      cves: [...cves].sort(compareCves),
      severities: rated,
      ...(severity !== undefined && { severity }),
      affected,
      livepatch,
      origin,
    },
  };
}

function kindOf(id: string): AdvisoryKind {
  if (id.startsWith('USN-')) return 'usn';
  if (id.startsWith('LSN-')) return 'lsn';
  if (/^(?:DSA|DLA|DTSA|DEBIAN)-/.test(id)) return 'debian';
  return 'osv';
}
