import type { z } from 'zod';
import type { FieldPath } from './source.js';

/** `hosts[3].memoryMiB`: the way operators search their files for a field. */
export function formatPath(path: FieldPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else
      text += /^[A-Za-z_$][\w$]*$/.test(segment)
        ? text
          ? `.${segment}`
          : segment
        : `[${JSON.stringify(segment)}]`;
  }
  return text || '(top level)';
}

export interface FieldIssue {
  path: (string | number)[];
  message: string;
}

/** Turns zod's issues into one message per field, in words an operator can act on. */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  knownFields: readonly string[] = [],
): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys)
          out.push({ path: [...path, key], message: `unknown field '${key}'${suggest(key, knownFields)}` });
        break;
      case 'invalid_union':
        out.push({ path, message: unionMessage(issue, valueAt(input, path)) });
        break;
      default:
        out.push({ path, message: issueMessage(issue, valueAt(input, path)) });
    }
  }
  return out;
}

function issueMessage(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined
        ? `is required (${article(issue.expected)})`
        : `must be ${article(issue.expected)}, not ${describe(value)}`;
    case 'invalid_value':
      if (value === undefined)
        return `is required: one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}; got ${describe(value)}`;
    case 'too_small':
      if (issue.origin === 'array') return `must have at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string')
        return issue.message.startsWith('Too small') ? 'must not be empty' : issue.message;
      return issue.message.startsWith('Too small')
        ? `must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}; got ${describe(value)}`
        : `${issue.message}; got ${describe(value)}`;
    case 'too_big':
      return issue.message.startsWith('Too big')
        ? `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}; got ${describe(value)}`
        : `${issue.message}; got ${describe(value)}`;
    case 'invalid_format':
      return `${issue.message}; got ${describe(value)}`;
    default:
      return value === undefined || typeof value === 'object'
        ? issue.message
        : `${issue.message}; got ${describe(value)}`;
  }
}

function unionMessage(issue: z.core.$ZodIssue & { code: 'invalid_union' }, value: unknown): string {
  // A union of `2` and `'25%'`: the most useful message is the branch that matched the value's type.
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first && first.code !== 'invalid_type') return issueMessage(first, value);
  }
  return `has the wrong type: ${describe(value)}`;
}

function article(type: string): string {
  const words: Record<string, string> = {
    int: 'a whole number',
    number: 'a number',
    string: 'a string',
    boolean: 'true or false',
    array: 'a list',
    object: 'a mapping of fields',
  };
  return words[type] ?? type;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

function valueAt(input: unknown, path: FieldPath): unknown {
  let node = input;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/** "did you mean 'memoryMiB'?" when a known field is one or two edits away. */
function suggest(key: string, knownFields: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const field of knownFields) {
    const distance = editDistance(key.toLowerCase(), field.toLowerCase());
    if (distance < bestDistance) {
      best = field;
      bestDistance = distance;
    }
  }
  return best ? ` (did you mean '${best}'?)` : '';
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}
