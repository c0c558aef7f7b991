/**
 * Prints what the end-to-end campaign measured (lab/e2e): a table with one row per live
 * migration, then the summary as exactly one JSON line, the last line of the output.
 * Usage: node --import tsx test/lab/support/print-e2e.ts REPORT.json
 */
import { readFileSync } from 'node:fs';
import { impactTable, type ImpactSummary, type MigrationImpact } from './impact.js';

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: print-e2e.ts REPORT.json\n');
  process.exit(2);
}
const { rows, summary } = JSON.parse(readFileSync(file, 'utf8')) as {
  rows: MigrationImpact[];
  summary: ImpactSummary;
};
const line: ImpactSummary = {
  guests: summary.guests,
  migrations: summary.migrations,
  guestReboots: summary.guestReboots,
  downtimeMsP50: summary.downtimeMsP50,
  downtimeMsP99: summary.downtimeMsP99,
  heartbeatGapMsP99: summary.heartbeatGapMsP99,
  predictionErrorMedian: summary.predictionErrorMedian,
};
process.stdout.write(`${impactTable(rows)}\n${JSON.stringify(line)}\n`);
