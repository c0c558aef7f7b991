import type { ComplianceReport } from '../../core/needs/index.js';

export type ComplianceView = 'cve' | 'host' | 'severity';

/** One view of the report as RFC 4180 CSV, a header line first. */
export function* complianceCsv(report: ComplianceReport, by: ComplianceView): Generator<string> {
  const line = (cells: readonly (string | number | boolean | null | undefined)[]) =>
    `${cells.map((cell) => csvCell(cell === null || cell === undefined ? '' : String(cell))).join(',')}\r\n`;
  if (by === 'host') {
    yield line(['host', 'os', 'compliant', 'needs', 'notInEffect', 'overdue', 'severity', 'due', 'reasons']);
    for (const host of report.byHost)
      yield line([
        host.host,
        host.os,
        host.compliant,
        host.needs,
        host.notInEffect,
        host.overdue,
        host.severity,
        host.due,
        host.reasons.join('; '),
      ]);
  } else if (by === 'cve') {
    yield line([
      'cve',
      'severity',
      'ubuntuPriority',
      'cvss',
      'advisories',
      'hosts',
      'notInEffect',
      'overdue',
    ]);
    for (const cve of report.byCve)
      yield line([
        cve.cve,
        cve.severity,
        cve.ubuntuPriority,
        cve.cvss,
        cve.advisories.join(' '),
        cve.hosts.length,
        cve.notInEffect.length,
        cve.overdue.length,
      ]);
  } else {
    yield line(['severity', 'needs', 'notInEffect', 'overdue', 'hosts', 'cves']);
    for (const row of report.bySeverity)
      yield line([row.severity, row.needs, row.notInEffect, row.overdue, row.hosts, row.cves]);
  }
}

/**
 * Quoted when it holds a separator, a quote or a line break; a leading = + - @ is defused
 * with an apostrophe, because spreadsheets run such cells as formulas and advisory text is
 * not ours.
 */
function csvCell(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
