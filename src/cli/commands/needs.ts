import type { Command } from 'commander';
import { EXIT } from '../output.js';
import { addNeedsInputOptions, loadHostNeeds, type NeedsFlags } from '../needs/inputs.js';
import { needsText } from '../needs/needs-text.js';
import { jsonPieces, writePieces } from '../needs/write.js';

export function registerNeedsCommand(program: Command): void {
  addNeedsInputOptions(
    program
      .command('needs')
      .description(
        'what each host needs from the advisories, what applying it disrupts, and what is installed but not in effect',
      ),
    'policy whose severity deadlines give due dates',
  )
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
      const loaded = await loadHostNeeds(flags);
      if (!loaded) return;
      const { inputs, hosts, warnings } = loaded;
      if (flags.json) {
        const generatedAt = new Date(inputs.now).toISOString();
        await writePieces(jsonPieces({ generatedAt, hosts, problems: warnings }));
      } else {
        await writePieces(needsText(hosts));
      }
      process.exitCode = EXIT.ok;
    });
}
