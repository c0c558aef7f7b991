import type { Command } from 'commander';
import { computeNeeds } from '../../core/needs/index.js';
import { EXIT, printProblems } from '../output.js';
import { readNeedsInputs, type NeedsFlags } from '../needs/inputs.js';
import { needsText } from '../needs/needs-text.js';
import { jsonPieces, writePieces } from '../needs/write.js';
import { printWarnings } from '../needs/warnings.js';

export function registerNeedsCommand(program: Command): void {
  program
    .command('needs')
    .description(
      'what each host needs from the advisories, what applying it disrupts, and what is installed but not in effect',
    )
    .requiredOption('--fleet <file>', 'fleet inventory (YAML or JSON)')
    .requiredOption(
      '--advisories <source...>',
      'OSV/Livepatch advisories: files, directories (every *.json below) or http(s) URLs of a mirror',
    )
    .option('--policy <file>', 'policy whose severity deadlines give due dates')
    .option(
      '--rules <file>',
      'extra disruption rules (a disruptionRules list), tried before the built-in ones',
    )
    .option('--now <instant>', 'judge due dates at this ISO 8601 instant instead of the current time')
    .option('--json', 'print JSON: { generatedAt, hosts: [{ host, needs, notInEffect, … }], problems }')
    .addHelpText(
      'after',
      `
Each row is one source package on one host with every applicable advisory folded in:
installed → fixed (the highest fixed version), CVEs, severity, due date from the policy,
and the disruption class (none, live-patch, daemon-restart, library-restart,
daemon-restart-blip, guest-restart-or-migrate, reboot). Rows with "in effect: no" are
fixes that are installed but not running: an old running kernel, guests still on an old
QEMU binary, daemons still mapping a replaced library. Such hosts are not compliant.

A broken advisory file is reported as a warning and the others are used.
Exit status: 0 when the needs were computed, 2 on a bad fleet, policy, rules file or option.

Examples:
  hvpatch needs --fleet fleet.yaml --advisories data/advisories/osv
  hvpatch needs --fleet fleet.yaml --advisories usn/ lsn/ --policy policy.yaml --json
  hvpatch needs --fleet fleet.yaml --advisories http://mirror.local/osv/ --now 2024-06-01`,
    )
    .action(async (flags: NeedsFlags & { json?: boolean }) => {
      const { inputs, errors, warnings } = await readNeedsInputs(flags, Date.now);
      printWarnings(warnings);
      if (!inputs) {
        printProblems(errors);
        process.exitCode = EXIT.badInput;
        return;
      }
      const hosts = computeNeeds(inputs.fleet, inputs.advisories, {
        now: inputs.now,
        rules: inputs.rules,
        ...(inputs.policy && { policy: inputs.policy }),
      });
      if (flags.json) {
        const generatedAt = new Date(inputs.now).toISOString();
        await writePieces(jsonPieces({ generatedAt, hosts, problems: warnings }));
      } else {
        await writePieces(needsText(hosts));
      }
      process.exitCode = EXIT.ok;
    });
}
