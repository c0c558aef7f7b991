import { Option, type Command } from 'commander';
import { summariseCompliance } from '../../core/needs/index.js';
import { EXIT } from '../output.js';
import { complianceCsv, type ComplianceView } from '../needs/compliance-csv.js';
import { complianceHtml } from '../needs/compliance-html.js';
import { complianceText } from '../needs/compliance-text.js';
import { addNeedsInputOptions, loadHostNeeds, type NeedsFlags } from '../needs/inputs.js';
import { jsonPieces, writePieces } from '../needs/write.js';

type Format = 'table' | 'json' | 'csv' | 'html';

export function registerComplianceCommand(program: Command): void {
  addNeedsInputOptions(
    program
      .command('compliance')
      .description(
        'fleet compliance against the advisories: per CVE, per host, per severity, overdue and installed-but-not-in-effect',
      ),
    'policy whose severity deadlines decide what is overdue',
  )
    .addOption(
      new Option('--by <view>', 'the view printed as a table or CSV')
        .choices(['cve', 'host', 'severity'])
        .default('severity'),
    )
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json', 'csv', 'html'])
        .default('table'),
    )
    .option('--out <file>', 'write the report to this file instead of standard output')
    .addHelpText(
      'after',
      `
A host is compliant when no advisory applies to its installed packages and everything
installed is also in effect (running kernel, guests' QEMU, daemons' libraries).
"table" and "csv" print the summary view chosen with --by; "json" and "html" hold every
view, the overdue list and the not-in-effect list. The HTML report is one standalone file
(no scripts, nothing fetched) with the advisories' attribution.

Exit status: 0 when the report was written, 2 on a bad fleet, policy, rules file or option.

Examples:
  hvpatch compliance --fleet fleet.yaml --advisories data/advisories/osv --policy policy.yaml
  hvpatch compliance --fleet fleet.yaml --advisories osv/ --by cve --format csv > cves.csv
  hvpatch compliance --fleet fleet.yaml --advisories osv/ --policy policy.yaml --format html --out report.html`,
    )
    .action(async (flags: NeedsFlags & { by: ComplianceView; format: Format; out?: string }) => {
      const loaded = await loadHostNeeds(flags);
      if (!loaded) return;
      const { inputs, hosts, warnings } = loaded;
      const report = summariseCompliance(hosts, inputs.advisories, {
        now: inputs.now,
        ...(inputs.fleet.name !== undefined && { fleetName: inputs.fleet.name }),
      });
      const pieces =
        flags.format === 'json'
          ? jsonPieces({ ...report, problems: warnings })
          : flags.format === 'csv'
            ? complianceCsv(report, flags.by)
            : flags.format === 'html'
              ? complianceHtml(report)
              : complianceText(report, flags.by);
      await writePieces(pieces, flags.out);
      if (flags.out !== undefined) process.stderr.write(`wrote ${flags.out}\n`);
      process.exitCode = EXIT.ok;
    });
}
