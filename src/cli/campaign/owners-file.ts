import { describeIssues, locate } from '../../core/documents/index.js';
import { WebhookEndpoints } from '../../engine/owners/index.js';
import { EXIT, printProblems } from '../output.js';
import { readSourceDocument } from '../read-input.js';

/**
 * The owners' endpoints file (`--owners` of `run` and `serve`), validated with positions;
 * null (exit 2, problems printed) when it is bad.
 */
export async function readOwners(file: string): Promise<WebhookEndpoints | null> {
  const { document, problems } = await readSourceDocument(file);
  if (!document) {
    printProblems(problems);
    process.exitCode = EXIT.badInput;
    return null;
  }
  const parsed = WebhookEndpoints.safeParse(document.value);
  if (parsed.success) return parsed.data;
  printProblems(locate(document, describeIssues(parsed.error.issues, document.value)));
  process.exitCode = EXIT.badInput;
  return null;
}
