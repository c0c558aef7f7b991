import { formatProblem, HvpatchError, BadInput, type InputProblem } from '../core/errors.js';

/** Exit codes, decided here and nowhere else: 2 for anything the user must fix in their input. */
export const EXIT = { ok: 0, failed: 1, badInput: 2, internal: 70 } as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof BadInput) return EXIT.badInput;
  if (error instanceof HvpatchError) return EXIT.failed;
  return EXIT.internal;
}

export function printProblems(
  problems: readonly InputProblem[],
  stream: NodeJS.WritableStream = process.stderr,
): void {
  for (const problem of problems) stream.write(`${formatProblem(problem)}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
