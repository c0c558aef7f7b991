import type { ComplianceReport, Need } from '../../core/needs/index.js';
import type { ComplianceView } from './compliance-csv.js';
import { day, firstFew, formatTable, plural, printable } from './text.js';

/** Lists longer than this are cut in the terminal; JSON and HTML carry all of it. */
const SHOWN = 20;

export function* complianceText(report: ComplianceReport, by: ComplianceView): Generator<string> {
  const { totals } = report;
  yield `Compliance${report.fleet ? ` of ${printable(report.fleet)}` : ''} at ${report.generatedAt}\n`;
  yield `  hosts: ${totals.hosts} (${totals.compliant} compliant, ${totals.nonCompliant} not)\n`;
  yield `  updates needed: ${totals.needs}, installed but not in effect: ${totals.notInEffect}, overdue: ${totals.overdue}, CVEs: ${totals.cves}\n\n`;
  yield `${view(report, by)}\n`;

  yield `\nOverdue (${report.overdue.length}):\n`;
  if (report.overdue.length > 0) {
    yield `${formatTable(
      ['HOST', 'PACKAGE', 'INSTALLED → FIXED', 'SEVERITY', 'DUE', 'IN EFFECT', 'ADVISORIES'],
      report.overdue.slice(0, SHOWN).map(overdueRow),
    )}\n`;
    yield more(report.overdue.length);
  }
  yield `\nInstalled but not in effect (${plural(report.notInEffect.length, 'host')}):\n`;
  for (const held of report.notInEffect.slice(0, SHOWN)) {
    const parts: string[] = [];
    if (held.kernel) parts.push(`kernel ${held.kernel.running} runs, ${held.kernel.newest} installed`);
    if (held.guests.length > 0) parts.push(`${plural(held.guests.length, 'guest')} on an old QEMU`);
    for (const { daemon, mapsDeletedFrom } of held.daemons)
      parts.push(`${daemon} maps replaced ${mapsDeletedFrom.join(', ')}`);
    if (held.fixes.length > 0)
      parts.push(`fixes waiting: ${held.fixes.map((fix) => fix.package).join(', ')}`);
    yield `  ${printable(held.host)}: ${printable(parts.join('; '))}\n`;
  }
  yield more(report.notInEffect.length);
}

function view(report: ComplianceReport, by: ComplianceView): string {
  if (by === 'severity')
    return formatTable(
      ['SEVERITY', 'NEEDS', 'NOT IN EFFECT', 'OVERDUE', 'HOSTS', 'CVES'],
      report.bySeverity.map((row) =>
        [row.severity, row.needs, row.notInEffect, row.overdue, row.hosts, row.cves].map(String),
      ),
    );
  if (by === 'cve')
    return formatTable(
      ['CVE', 'SEVERITY', 'CVSS', 'HOSTS', 'NOT IN EFFECT', 'OVERDUE', 'ADVISORIES'],
      report.byCve.map((row) => [
        row.cve,
        row.severity ?? 'unrated',
        row.cvss === undefined ? '-' : row.cvss.toFixed(1),
        String(row.hosts.length),
        String(row.notInEffect.length),
        String(row.overdue.length),
        firstFew(row.advisories, 3),
      ]),
    );
  return formatTable(
    ['HOST', 'OS', 'COMPLIANT', 'NEEDS', 'NOT IN EFFECT', 'OVERDUE', 'SEVERITY', 'DUE'],
    report.byHost.map((row) => [
      row.host,
      row.os,
      row.compliant ? 'yes' : 'NO',
      String(row.needs),
      String(row.notInEffect),
      String(row.overdue),
      row.severity ?? '-',
      day(row.due),
    ]),
  );
}

function overdueRow(need: Need): string[] {
  return [
    need.host,
    need.package,
    `${need.installed} → ${need.fixed}`,
    need.severity ?? 'unrated',
    day(need.due),
    need.inEffect ? 'yes' : 'no',
    firstFew(need.advisories),
  ];
}

function more(total: number): string {
  return total > SHOWN ? `  … and ${total - SHOWN} more (--format json or html lists them all)\n` : '';
}
