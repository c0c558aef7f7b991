import type { Command } from 'commander';
import type { InputProblem } from '../../core/errors.js';
import {
  checkPolicyAgainstFleet,
  detectKind,
  locate,
  validateFleetDocument,
  validatePolicyDocument,
  type DocumentKind,
  type SourceDocument,
} from '../../core/documents/index.js';
import type { Fleet, Policy } from '../../core/model/index.js';
import { readSourceDocument } from '../read-input.js';
import { EXIT, printJson, printProblems } from '../output.js';

interface FileReport {
  file: string;
  kind: DocumentKind | null;
  valid: boolean;
  summary?: string;
  problems: InputProblem[];
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description(
      'check fleet inventories and policies; report every problem with file:line:column and field, change nothing',
    )
    .argument('<file...>', 'YAML or JSON files, each a fleet (kind: Fleet) or a policy (kind: Policy)')
    .option('--json', 'print a JSON report instead of lines')
    .addHelpText(
      'after',
      `
A file's kind comes from its \`kind:\` field, or from its fields (hosts/guests → fleet,
windows/stages/concurrency → policy). Given a fleet and a policy together, the policy's
cluster and host names are checked against the fleet.

Exit status: 0 when every file is valid, 2 when any problem was found.

Examples:
  hvpatch validate fleet.yaml policy.yaml
  hvpatch validate --json inventory/*.json`,
    )
    .action(async (files: string[], options: { json?: boolean }) => {
      const reports = await validateFiles(files);
      const failed = reports.some((report) => !report.valid);
      if (options.json) printJson({ valid: !failed, files: reports });
      else {
        for (const report of reports) {
          if (report.valid)
            process.stdout.write(`${report.file}: valid ${report.kind} (${report.summary})\n`);
          else printProblems(report.problems);
        }
        if (failed) {
          const count = reports.reduce((sum, report) => sum + report.problems.length, 0);
          process.stderr.write(`${count} problem${count === 1 ? '' : 's'} found; nothing was changed\n`);
        }
      }
      process.exitCode = failed ? EXIT.badInput : EXIT.ok;
    });
}

export async function validateFiles(files: readonly string[]): Promise<FileReport[]> {
  const reports: FileReport[] = [];
  const fleets: Fleet[] = [];
  const policies: { policy: Policy; document: SourceDocument; report: FileReport }[] = [];
  for (const file of files) {
    const { document, problems } = await readSourceDocument(file);
    if (!document) {
      reports.push({ file, kind: null, valid: false, problems });
      continue;
    }
    const kind = detectKind(document.value);
    if (!kind) {
      reports.push({
        file,
        kind: null,
        valid: false,
        problems: [
          {
            file,
            line: 1,
            column: 1,
            message:
              'cannot tell whether this is a fleet or a policy: add `kind: Fleet` or `kind: Policy` at the top',
          },
        ],
      });
    } else if (kind === 'fleet') {
      const result = validateFleetDocument(document);
      if (result.fleet) fleets.push(result.fleet);
      reports.push({
        file,
        kind,
        valid: !!result.fleet,
        problems: result.problems,
        summary: result.fleet && describeFleet(result.fleet),
      });
    } else {
      const result = validatePolicyDocument(document);
      const report: FileReport = {
        file,
        kind,
        valid: !!result.policy,
        problems: result.problems,
        summary: result.policy && describePolicy(result.policy),
      };
      if (result.policy) policies.push({ policy: result.policy, document, report });
      reports.push(report);
    }
  }
  if (fleets.length === 1) {
    for (const { policy, document, report } of policies) {
      const problems = locate(document, checkPolicyAgainstFleet(policy, fleets[0]!));
      if (problems.length > 0) Object.assign(report, { valid: false, problems, summary: undefined });
    }
  }
  return reports;
}

function describeFleet(fleet: Fleet): string {
  return `${fleet.hosts.length} hosts, ${fleet.guests.length} guests, ${fleet.services.length} services, ${fleet.clusters.length} clusters, ${fleet.components.length} components`;
}

function describePolicy(policy: Policy): string {
  return `${policy.windows.length} windows, ${policy.freezes.length} freezes, ${policy.stages.length} stages`;
}
