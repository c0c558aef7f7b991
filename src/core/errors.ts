/**
 * The one closed error taxonomy. Every failure that crosses a module boundary is one of
 * these, with a stable `code`, whether retrying can help, and the underlying `cause`.
 * Mapping to HTTP statuses and exit codes happens in exactly one place each (api/, cli/).
 */
export type ErrorCode =
  'BAD_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'TIMED_OUT' | 'UNAVAILABLE' | 'PERMISSION_DENIED';

/** Where in an input a problem was found: file, 1-based line and column, and the field path. */
export interface InputLocation {
  file?: string;
  line?: number;
  column?: number;
  /** Field path such as `hosts[3].memoryMiB`. */
  path?: string;
}

export interface InputProblem extends InputLocation {
  message: string;
}

export abstract class HvpatchError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input that cannot be accepted; carries every problem found, not just the first. */
export class BadInput extends HvpatchError {
  readonly code = 'BAD_INPUT';
  readonly retryable = false;
  readonly problems: readonly InputProblem[];
  constructor(problems: readonly InputProblem[], options?: { cause?: unknown }) {
    super(problems.map(formatProblem).join('\n'), options);
    this.problems = problems;
  }
}

export class NotFound extends HvpatchError {
  readonly code = 'NOT_FOUND';
  readonly retryable = false;
}

export class Conflict extends HvpatchError {
  readonly code = 'CONFLICT';
  readonly retryable = false;
}

export class TimedOut extends HvpatchError {
  readonly code = 'TIMED_OUT';
  readonly retryable = true;
}

export class Unavailable extends HvpatchError {
  readonly code = 'UNAVAILABLE';
  readonly retryable = true;
}

export class PermissionDenied extends HvpatchError {
  readonly code = 'PERMISSION_DENIED';
  readonly retryable = false;
}

/** `file:line:column: path: message`, leaving out the parts that are unknown. */
export function formatProblem(problem: InputProblem): string {
  let where = problem.file ?? '';
  if (problem.line !== undefined) where += `:${problem.line}`;
  if (problem.line !== undefined && problem.column !== undefined) where += `:${problem.column}`;
  const parts = [where, problem.path, problem.message].filter((part) => part !== undefined && part !== '');
  return parts.join(': ');
}
