import { readFile, stat } from 'node:fs/promises';
import type { InputProblem } from '../core/errors.js';
import { parseSource, type SourceDocument } from '../core/documents/index.js';

/** Larger than any real inventory (10,000 hosts with 200,000 guests is about 100 MB of JSON). */
const MAX_INPUT_BYTES = 512 * 1024 * 1024;

/** Reads and parses one input file; every failure is a located problem, never a throw. */
export async function readSourceDocument(
  file: string,
): Promise<{ document?: SourceDocument; problems: InputProblem[] }> {
  try {
    const info = await stat(file);
    if (info.isDirectory())
      return { problems: [{ file, message: 'is a directory; name a YAML or JSON file' }] };
    if (info.size > MAX_INPUT_BYTES) {
      return {
        problems: [
          {
            file,
            message: `is ${info.size} bytes, more than the ${MAX_INPUT_BYTES}-byte limit for an input file`,
          },
        ],
      };
    }
    const bytes = await readFile(file);
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    return parseSource(text, file);
  } catch (error) {
    return { problems: [{ file, message: describeReadError(error) }] };
  }
}

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (error instanceof TypeError) return 'is not UTF-8 text';
  return error instanceof Error ? error.message : String(error);
}
