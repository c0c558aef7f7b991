import { SEVERITIES, type Advisory, type AdvisoryKind, type Severity } from '../advisories/index.js';
import { compareCves, higher, severityOfScore } from '../advisories/index.js';
import type { HostNeeds, Need, NotInEffect } from './model.js';

export type SeverityBucket = Severity | 'unrated';
/** Most severe first, as reports list them. */
export const SEVERITY_BUCKETS: readonly SeverityBucket[] = [...[...SEVERITIES].reverse(), 'unrated'];

export interface SeverityCount {
  severity: SeverityBucket;
  /** Rows still to install, rows installed but not in effect, rows overdue. */
  needs: number;
  notInEffect: number;
  overdue: number;
  hosts: number;
  cves: number;
}

export interface CveCompliance {
  cve: string;
  /** Ubuntu's priority for the CVE, else its CVSS band, else the highest severity of its notices. */
  severity: Severity | null;
  ubuntuPriority?: Severity;
  cvss?: number;
  advisories: string[];
  /** Hosts where the fix is not installed, installed but not running, and past due. */
  hosts: string[];
  notInEffect: string[];
  overdue: string[];
}

export interface HostCompliance {
  host: string;
  os: string;
  compliant: boolean;
  needs: number;
  notInEffect: number;
  overdue: number;
  severity: Severity | null;
  /** The earliest due date among its needs. */
  due: string | null;
  reasons: string[];
}

export interface HostNotInEffect extends NotInEffect {
  host: string;
  fixes: Need[];
}

export interface AdvisoryUsed {
  id: string;
  kind: AdvisoryKind;
  summary: string;
  published?: string;
  origin: string;
}

export interface ComplianceReport {
  generatedAt: string;
  fleet: string | null;
  totals: {
    hosts: number;
    compliant: number;
    nonCompliant: number;
    needs: number;
    notInEffect: number;
    overdue: number;
    cves: number;
  };
  bySeverity: SeverityCount[];
  byCve: CveCompliance[];
  byHost: HostCompliance[];
  overdue: Need[];
  notInEffect: HostNotInEffect[];
  /** Every advisory behind at least one row, for attribution and lookup. */
  advisories: AdvisoryUsed[];
}

export interface ComplianceOptions {
  now: number;
  fleetName?: string;
}

export function summariseCompliance(
  hosts: readonly HostNeeds[],
  advisories: readonly Advisory[],
  options: ComplianceOptions,
): ComplianceReport {
  const byId = new Map(advisories.map((advisory) => [advisory.id, advisory]));
  const used = usedAdvisories(hosts, byId);
  const cves = new Map<string, CveTally>();
  const severities = new Map<SeverityBucket, SeverityTally>(
    SEVERITY_BUCKETS.map((bucket) => [
      bucket,
      { needs: 0, notInEffect: 0, overdue: 0, hosts: new Set(), cves: new Set() },
    ]),
  );
  const overdue: Need[] = [];
  const notInEffect: HostNotInEffect[] = [];
  let needCount = 0;
  for (const { host, needs, notInEffect: held } of hosts) {
    for (const row of needs) {
      if (row.inEffect) needCount++;
      if (row.overdue) overdue.push(row);
      const tally = severities.get(row.severity ?? 'unrated')!;
      tally[row.inEffect ? 'needs' : 'notInEffect']++;
      if (row.overdue) tally.overdue++;
      tally.hosts.add(host);
      for (const cve of row.cves) {
        tally.cves.add(cve);
        let entry = cves.get(cve);
        if (entry === undefined)
          cves.set(cve, (entry = { hosts: new Set(), notInEffect: new Set(), overdue: new Set() }));
        (row.inEffect ? entry.hosts : entry.notInEffect).add(host);
        if (row.overdue) entry.overdue.add(host);
      }
    }
    const waiting = needs.filter((row) => !row.inEffect);
    if (waiting.length > 0 || held.kernel || held.guests.length > 0 || held.daemons.length > 0)
      notInEffect.push({ host, ...held, fixes: waiting });
  }
  const byHost = hosts.map(hostCompliance);
  byHost.sort((a, b) => Number(a.compliant) - Number(b.compliant));
  const compliant = byHost.filter((host) => host.compliant).length;
  return {
    generatedAt: new Date(options.now).toISOString(),
    fleet: options.fleetName ?? null,
    totals: {
      hosts: hosts.length,
      compliant,
      nonCompliant: hosts.length - compliant,
      needs: needCount,
      notInEffect: hosts.reduce((sum, host) => sum + host.needs.length, 0) - needCount,
      overdue: overdue.length,
      cves: cves.size,
    },
    bySeverity: SEVERITY_BUCKETS.map((severity) => {
      const tally = severities.get(severity)!;
      return { ...tally, severity, hosts: tally.hosts.size, cves: tally.cves.size };
    }),
    byCve: cveRows(cves, used),
    byHost,
    overdue,
    notInEffect,
    advisories: [...used.values()].map((advisory) => ({
      id: advisory.id,
      kind: advisory.kind,
      summary: advisory.summary,
      ...(advisory.published !== undefined && { published: advisory.published }),
      origin: advisory.origin,
    })),
  };
}

interface CveTally {
  hosts: Set<string>;
  notInEffect: Set<string>;
  overdue: Set<string>;
}

interface SeverityTally {
  needs: number;
  notInEffect: number;
  overdue: number;
  hosts: Set<string>;
  cves: Set<string>;
}

/** Rows of one package share their advisory list, so each list is read once. */
function usedAdvisories(
  hosts: readonly HostNeeds[],
  byId: ReadonlyMap<string, Advisory>,
): Map<string, Advisory> {
  const seen = new Set<readonly string[]>();
  const used = new Map<string, Advisory>();
  for (const { needs } of hosts) {
    for (const { advisories } of needs) {
      if (seen.has(advisories)) continue;
      seen.add(advisories);
      for (const id of advisories) {
        const advisory = byId.get(id);
        if (advisory) used.set(id, advisory);
      }
    }
  }
  return new Map([...used].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function cveRows(cves: ReadonlyMap<string, CveTally>, used: ReadonlyMap<string, Advisory>): CveCompliance[] {
  const listing = new Map<string, Advisory[]>();
  for (const advisory of used.values()) {
    for (const cve of advisory.cves) {
      const list = listing.get(cve);
      if (list) list.push(advisory);
      else listing.set(cve, [advisory]);
    }
  }
  const rows: CveCompliance[] = [];
  for (const [cve, tally] of cves) {
    const notices = listing.get(cve) ?? [];
    let ubuntuPriority: Severity | undefined;
    let cvss: number | undefined;
    let overall: Severity | undefined;
    for (const notice of notices) {
      overall = higher(overall, notice.severity);
      const rated = notice.severities.find((entry) => entry.cve === cve);
      ubuntuPriority = higher(ubuntuPriority, rated?.ubuntuPriority);
      if (rated?.cvss && (cvss === undefined || rated.cvss.baseScore > cvss)) cvss = rated.cvss.baseScore;
    }
    rows.push({
      cve,
      severity: ubuntuPriority ?? (cvss === undefined ? undefined : severityOfScore(cvss)) ?? overall ?? null,
      ...(ubuntuPriority !== undefined && { ubuntuPriority }),
      ...(cvss !== undefined && { cvss }),
      advisories: notices.map((notice) => notice.id),
      hosts: [...tally.hosts],
      notInEffect: [...tally.notInEffect],
      overdue: [...tally.overdue],
    });
  }
  const rank = (severity: Severity | null) => SEVERITY_BUCKETS.indexOf(severity ?? 'unrated');
  return rows.sort(
    (a, b) =>
      rank(a.severity) - rank(b.severity) ||
      b.hosts.length + b.notInEffect.length - (a.hosts.length + a.notInEffect.length) ||
      compareCves(a.cve, b.cve),
  );
}

function hostCompliance({ host, os, compliant, reasons, needs }: HostNeeds): HostCompliance {
  let severity: Severity | undefined;
  let due: string | null = null;
  for (const row of needs) {
    severity = higher(severity, row.severity ?? undefined);
    if (row.due !== null && (due === null || row.due < due)) due = row.due;
  }
  return {
    host,
    os,
    compliant,
    needs: needs.filter((row) => row.inEffect).length,
    notInEffect: needs.filter((row) => !row.inEffect).length,
    overdue: needs.filter((row) => row.overdue).length,
    severity: severity ?? null,
    due,
    reasons,
  };
}
