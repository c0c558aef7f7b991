import type { Command } from 'commander';
import type { Advisory } from '../../core/advisories/index.js';
import {
  describeIssues,
  locate,
  validateFleetDocument,
  validatePolicyDocument,
  type SourceDocument,
} from '../../core/documents/index.js';
import type { InputProblem } from '../../core/errors.js';
import type { Fleet, Policy } from '../../core/model/index.js';
import {
  computeNeeds,
  DisruptionRulesFile,
  rulesOfFile,
  type DisruptionRule,
  type HostNeeds,
} from '../../core/needs/index.js';
import { EXIT, printProblems } from '../output.js';
import { printWarnings } from './warnings.js';
import { loadAdvisories } from '../../drivers/advisories/index.js';
import { readSourceDocument } from '../read-input.js';

export interface NeedsFlags {
  fleet: string;
  advisories: string[];
  policy?: string;
  rules?: string;
  now?: string;
}

export interface NeedsInputs {
  fleet: Fleet;
  policy?: Policy;
  rules: DisruptionRule[];
  advisories: Advisory[];
  now: number;
}

/**
 * Everything `needs` and `compliance` read. Bad fleet, policy, rules or --now are errors
 * (nothing is computed from half an inventory); a bad advisory file is a warning, because
 * the others still say something true.
 */
export async function readNeedsInputs(
  flags: NeedsFlags,
  clock: () => number,
): Promise<{ inputs?: NeedsInputs; errors: InputProblem[]; warnings: InputProblem[] }> {
  const errors: InputProblem[] = [];
  const now = flags.now === undefined ? clock() : parseInstant(flags.now, errors);
  const fleet = await readValidated(flags.fleet, errors, (document) => {
    const { fleet, problems } = validateFleetDocument(document);
    return { value: fleet, problems };
  });
  const policy =
    flags.policy === undefined
      ? undefined
      : await readValidated(flags.policy, errors, (document) => {
          const { policy, problems } = validatePolicyDocument(document);
          return { value: policy, problems };
        });
  const rules =
    flags.rules === undefined
      ? []
      : await readValidated(flags.rules, errors, (document) => {
          const parsed = DisruptionRulesFile.safeParse(document.value);
          return parsed.success
            ? { value: rulesOfFile(parsed.data), problems: [] }
            : { problems: locate(document, describeIssues(parsed.error.issues, document.value)) };
        });
  if (errors.length > 0 || fleet === undefined || now === undefined || rules === undefined)
    return { errors, warnings: [] };

  const loaded = await loadAdvisories(flags.advisories);
  if (loaded.advisories.length === 0) {
    const message = `no advisory could be read from ${flags.advisories.join(', ')}: without them every host would look compliant`;
    return { errors: [...loaded.problems, { message }], warnings: [] };
  }
  return {
    inputs: { fleet, ...(policy && { policy }), rules, advisories: loaded.advisories, now },
    errors: [],
    warnings: loaded.problems,
  };
}

async function readValidated<T>(
  file: string,
  errors: InputProblem[],
  validate: (document: SourceDocument) => { value?: T; problems: InputProblem[] },
): Promise<T | undefined> {
  const { document, problems } = await readSourceDocument(file);
  if (!document) {
    errors.push(...problems);
    return undefined;
  }
  const result = validate(document);
  errors.push(...result.problems);
  return result.problems.length === 0 ? result.value : undefined;
}

const INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

function parseInstant(text: string, errors: InputProblem[]): number | undefined {
  const at = INSTANT.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(at)) {
    errors.push({
      path: '--now',
      message: `'${text}' is not an ISO 8601 date or instant like 2024-06-01 or 2024-06-01T08:00:00Z`,
    });
    return undefined;
  }
  return at;
}

/** The options `needs` and `compliance` share, so both read their inputs the same way. */
export function addNeedsInputOptions(command: Command, policyPurpose: string): Command {
  return command
    .requiredOption('--fleet <file>', 'fleet inventory (YAML or JSON)')
    .requiredOption(
      '--advisories <source...>',
      'OSV/Livepatch advisories: files, directories (every *.json below) or http(s) URLs of a mirror',
    )
    .option('--policy <file>', policyPurpose)
    .option(
      '--rules <file>',
      'extra disruption rules (a disruptionRules list), tried before the built-in ones',
    )
    .option('--now <instant>', 'judge due dates at this ISO 8601 instant instead of the current time');
}

/**
 * Reads the inputs and computes every host's needs, printing advisory warnings; on bad
 * input prints the problems, sets exit status 2 and returns undefined.
 */
export async function loadHostNeeds(
  flags: NeedsFlags,
): Promise<{ inputs: NeedsInputs; hosts: HostNeeds[]; warnings: InputProblem[] } | undefined> {
  const { inputs, errors, warnings } = await readNeedsInputs(flags, Date.now);
  printWarnings(warnings);
  if (!inputs) {
    printProblems(errors);
    process.exitCode = EXIT.badInput;
    return undefined;
  }
  const hosts = computeNeeds(inputs.fleet, inputs.advisories, {
    now: inputs.now,
    rules: inputs.rules,
    ...(inputs.policy && { policy: inputs.policy }),
  });
  return { inputs, hosts, warnings };
}
