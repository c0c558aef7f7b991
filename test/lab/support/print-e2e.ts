/**
 * Prints what the end-to-end campaign measured (lab/e2e): a table with one row per live
 * migration, then the summary as exactly one JSON line, the last line of the output.
 * Usage: node --import tsx test/lab/support/print-e2e.ts REPORT.json
 */
import { readFileSync } from 'node:fs';
import type { Calibration } from './calibration.js';
import { impactTable, median, type ImpactSummary, type MigrationImpact } from './impact.js';

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: print-e2e.ts REPORT.json\n');
  process.exit(2);
}
const { calibration, overlaps, rows, summary } = JSON.parse(readFileSync(file, 'utf8')) as {
  calibration: Calibration;
  overlaps: string[];
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
const calibrated =
  `model calibrated before the campaign: ${calibration.guest} (${calibration.memoryMiB} MiB) moved ` +
  `${calibration.samples.length} times in ${calibration.samples.map((s) => s.totalMs).join(', ')} ms ` +
  `(QEMU; stop-and-copy ${calibration.samples.map((s) => s.stopCopyMs).join(', ')} ms) → ` +
  `${calibration.bandwidthMiBps.toFixed(1)} MiB/s, switch-over ${calibration.switchoverMs} ms`;
const overlapping = `migrations overlapping in time: ${overlaps.length === 0 ? 'none' : overlaps.join('; ')}`;
const defined = (values: (number | undefined)[]) => values.filter((v): v is number => v !== undefined);
const stopCopy =
  `stop-and-copy, median: model ${median(defined(rows.map((r) => r.predictedDowntimeMs))) ?? '-'} ms, ` +
  `QEMU ${median(defined(rows.map((r) => r.qemuStopCopyMs))) ?? '-'} ms (source: guest stopped → completed)`;
process.stdout.write(
  `${calibrated}\n${overlapping}\n${stopCopy}\n${impactTable(rows)}\n${JSON.stringify(line)}\n`,
);
