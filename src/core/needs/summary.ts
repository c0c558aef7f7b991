import type { Severity } from '../advisories/index.js';
import { compareCves, higher } from '../advisories/index.js';
import type { Policy } from '../model/index.js';
import { compareDebianVersions } from '../versions/index.js';
import type { Fix } from './fixes.js';

/** What a set of fixes for one package adds up to, whichever host it is on. */
export interface FixSummary {
  fixed: string;
  advisories: string[];
  cves: string[];
  severity: Severity | null;
  cvss?: number;
  ubuntuPriority?: Severity;
  published?: string;
  /** Epoch ms; undefined when no advisory has both a publication date and a deadline. */
  due?: number;
  anyPro: boolean;
}

export type Deadlines = Policy['deadlines'];

/**
 * Each advisory is due at its own publication plus its own severity's deadline, and the
 * package is due when the first of them is: an old low-priority notice must not make a
 * new critical one look overdue, nor a new critical one extend an old deadline.
 */
export function summarise(fixes: readonly Fix[], deadlines: Deadlines): FixSummary {
  let fixed = fixes[0]!.fixed;
  let severity: Severity | undefined;
  let ubuntuPriority: Severity | undefined;
  let cvss: number | undefined;
  let published: number | undefined;
  let publishedText: string | undefined;
  let due: number | undefined;
  let anyPro = false;
  const advisories = new Set<string>();
  const cves = new Set<string>();
  for (const { advisory, fixed: version, pro } of fixes) {
    if (compareDebianVersions(version, fixed) > 0) fixed = version;
    advisories.add(advisory.id);
    for (const cve of advisory.cves) cves.add(cve);
    for (const rated of advisory.severities) {
      ubuntuPriority = higher(ubuntuPriority, rated.ubuntuPriority);
      if (rated.cvss && (cvss === undefined || rated.cvss.baseScore > cvss)) cvss = rated.cvss.baseScore;
    }
    severity = higher(severity, advisory.severity);
    anyPro ||= pro;
    const at = advisory.published === undefined ? NaN : Date.parse(advisory.published);
    if (Number.isNaN(at)) continue;
    if (published === undefined || at < published) {
      published = at;
      publishedText = advisory.published;
    }
    const deadline = advisory.severity && deadlines[advisory.severity];
    if (deadline && (due === undefined || at + deadline.within < due)) due = at + deadline.within;
  }
  return {
    fixed,
    advisories: [...advisories].sort(),
    cves: [...cves].sort(compareCves),
    severity: severity ?? null,
    ...(cvss !== undefined && { cvss }),
    ...(ubuntuPriority !== undefined && { ubuntuPriority }),
    ...(publishedText !== undefined && { published: publishedText }),
    ...(due !== undefined && { due }),
    anyPro,
  };
}
