import { z } from 'zod';
import type { InputProblem } from '../errors.js';
import {
  Fleet,
  Guest,
  Host,
  Policy,
  checkFleetCapacity,
  checkFleetReferences,
  type ModelProblem,
} from '../model/index.js';
import { describeIssues, formatPath } from './issues.js';
import type { SourceDocument } from './source.js';

export type DocumentKind = 'fleet' | 'policy';

/** `kind:` when the file says it; otherwise what its top-level fields make plain. */
export function detectKind(value: unknown): DocumentKind | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (record.kind === 'Fleet') return 'fleet';
  if (record.kind === 'Policy') return 'policy';
  if (record.kind !== undefined) return undefined;
  const fleetKeys = ['hosts', 'guests', 'clusters', 'services', 'sites', 'failureDomains', 'components'];
  const policyKeys = [
    'windows',
    'freezes',
    'concurrency',
    'stages',
    'deadlines',
    'failureThresholds',
    'migration',
  ];
  const isFleet = fleetKeys.some((key) => key in record);
  const isPolicy = policyKeys.some((key) => key in record);
  if (isFleet === isPolicy) return undefined;
  return isFleet ? 'fleet' : 'policy';
}

export function validateFleetDocument(document: SourceDocument): { fleet?: Fleet; problems: InputProblem[] } {
  const parsed = Fleet.safeParse(document.value);
  const problems: ModelProblem[] = parsed.success
    ? []
    : describeIssues(parsed.error.issues, document.value, fleetFields());
  problems.push(...checkFleetReferences(document.value));
  problems.push(
    ...(parsed.success
      ? checkFleetCapacity(parsed.data.hosts, parsed.data.guests)
      : checkFleetCapacity(salvage(document.value, 'hosts', Host), salvage(document.value, 'guests', Guest))),
  );
  const located = sortByPosition(locate(document, problems));
  return parsed.success && located.length === 0
    ? { fleet: parsed.data, problems: [] }
    : { problems: located };
}

/** The entries of a collection that pass their own schema, at their original indices. */
function salvage<T>(document: unknown, collection: string, schema: z.ZodType<T>): (T | undefined)[] {
  const items = (document as Record<string, unknown> | null)?.[collection];
  if (!Array.isArray(items)) return [];
  return items.map((item) => {
    const result = schema.safeParse(item);
    return result.success ? result.data : undefined;
  });
}

function sortByPosition(problems: InputProblem[]): InputProblem[] {
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

export function validatePolicyDocument(document: SourceDocument): {
  policy?: Policy;
  problems: InputProblem[];
} {
  const parsed = Policy.safeParse(document.value);
  if (!parsed.success)
    return {
      problems: locate(document, describeIssues(parsed.error.issues, document.value, policyFields())),
    };
  return { policy: parsed.data, problems: [] };
}

/** A policy names clusters and hosts; when the fleet is known too, those names must exist in it. */
export function checkPolicyAgainstFleet(policy: Policy, fleet: Fleet): ModelProblem[] {
  const clusters = new Set(fleet.clusters.map((cluster) => cluster.id));
  const hosts = new Set(fleet.hosts.map((host) => host.id));
  const problems: ModelProblem[] = [];
  policy.windows.forEach((window, i) =>
    window.clusters?.forEach((id, j) => {
      if (!clusters.has(id))
        problems.push({
          path: ['windows', i, 'clusters', j],
          message: `names cluster '${id}', which the fleet does not have`,
        });
    }),
  );
  policy.stages.forEach((stage, i) => {
    stage.select?.clusters?.forEach((id, j) => {
      if (!clusters.has(id))
        problems.push({
          path: ['stages', i, 'select', 'clusters', j],
          message: `names cluster '${id}', which the fleet does not have`,
        });
    });
    stage.select?.hosts?.forEach((id, j) => {
      if (!hosts.has(id))
        problems.push({
          path: ['stages', i, 'select', 'hosts', j],
          message: `names host '${id}', which the fleet does not have`,
        });
    });
  });
  return problems;
}

export function locate(document: SourceDocument, problems: readonly ModelProblem[]): InputProblem[] {
  return problems.map((problem) => ({
    file: document.file,
    ...document.locate(problem.path),
    path: formatPath(problem.path),
    message: problem.message,
  }));
}

let fleetFieldNames: string[] | undefined;
let policyFieldNames: string[] | undefined;
const fleetFields = () =>
  (fleetFieldNames ??= propertyNames(z.toJSONSchema(Fleet, { io: 'input', unrepresentable: 'any' })));
const policyFields = () =>
  (policyFieldNames ??= propertyNames(z.toJSONSchema(Policy, { io: 'input', unrepresentable: 'any' })));

/** Every property name a JSON Schema mentions, for "did you mean" suggestions. */
function propertyNames(schema: unknown, into = new Set<string>()): string[] {
  if (Array.isArray(schema)) schema.forEach((item) => propertyNames(item, into));
  else if (schema !== null && typeof schema === 'object') {
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'properties' && value && typeof value === 'object')
        Object.keys(value).forEach((name) => into.add(name));
      propertyNames(value, into);
    }
  }
  return [...into];
}
