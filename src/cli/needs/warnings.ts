import { formatProblem, type InputProblem } from '../../core/errors.js';

/** Advisory problems do not stop the run: each is printed, marked, with its file and field. */
export function printWarnings(problems: readonly InputProblem[]): void {
  for (const problem of problems) process.stderr.write(`warning: ${formatProblem(problem)}\n`);
}
