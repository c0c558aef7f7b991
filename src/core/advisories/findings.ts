import type { z } from 'zod';
import { describeIssues } from '../documents/index.js';

/**
 * What a parser found wrong, located by field path. A fatal finding rejects the advisory
 * (a partly malformed file is not trusted for the parts that look fine); the others are
 * warnings about parts that were skipped while the rest was kept.
 */
export interface Finding {
  path: (string | number)[];
  message: string;
  fatal: boolean;
}

export function fatal(path: (string | number)[], message: string): Finding {
  return { path, message, fatal: true };
}

export function warning(path: (string | number)[], message: string): Finding {
  return { path, message, fatal: false };
}

/** zod's issues for `input`, which sits at `at` in the whole document. */
export function schemaFindings(error: z.ZodError, input: unknown, at: (string | number)[] = []): Finding[] {
  return describeIssues(error.issues, input).map((issue) => fatal([...at, ...issue.path], issue.message));
}
