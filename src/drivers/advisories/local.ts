import { open, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BadInput,
  NotFound,
  PermissionDenied,
  Unavailable,
  type HvpatchError,
  type InputProblem,
} from '../../core/errors.js';
import { describeBytes, readAtMost } from './limits.js';

/**
 * The advisory files a local source names: the file itself, or every `*.json` below a
 * directory (following symbolic links, each directory once), in sorted order.
 */
export async function localFiles(source: string): Promise<{ files: string[]; problems: InputProblem[] }> {
  const problems: InputProblem[] = [];
  let info;
  try {
    info = await stat(source);
  } catch (error) {
    return { files: [], problems: [{ file: source, message: fsError(error).message }] };
  }
  if (!info.isDirectory()) return { files: [source], problems };
  const files: string[] = [];
  await walk(source, files, problems, new Set());
  if (files.length === 0 && problems.length === 0) {
    problems.push({ file: source, message: 'holds no .json files' });
  }
  return { files, problems };
}

async function walk(
  directory: string,
  files: string[],
  problems: InputProblem[],
  visited: Set<string>,
): Promise<void> {
  let entries;
  try {
    const real = await realpath(directory);
    if (visited.has(real)) return;
    visited.add(real);
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    problems.push({ file: directory, message: fsError(error).message });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(directory, entry.name);
    const isDirectory = entry.isSymbolicLink()
      ? await stat(path).then(
          (target) => target.isDirectory(),
          () => false,
        )
      : entry.isDirectory();
    if (isDirectory) await walk(path, files, problems, visited);
    else if (/\.json$/i.test(entry.name)) files.push(path);
  }
}

/** The file's bytes, refusing files over `maxBytes` by their size and again while reading. */
export async function readFileLimited(path: string, maxBytes: number): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw fsError(error);
  }
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) {
      throw tooLarge(path, `is ${size} bytes, more than the ${describeBytes(maxBytes)} limit; not read`);
    }
    // Counted as well: the file can grow between stat and read.
    const bytes = await readAtMost(handle.createReadStream({ autoClose: false }), maxBytes);
    if (!bytes) {
      throw tooLarge(
        path,
        `grew past the ${describeBytes(maxBytes)} limit while being read; reading stopped there`,
      );
    }
    return bytes;
  } catch (error) {
    throw error instanceof BadInput ? error : fsError(error);
  } finally {
    await handle.close();
  }
}

function tooLarge(file: string, message: string): BadInput {
  return new BadInput([{ file, message }]);
}

function fsError(error: unknown): HvpatchError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new NotFound('does not exist', { cause: error });
  if (code === 'EACCES' || code === 'EPERM') {
    return new PermissionDenied('cannot be read: permission denied', { cause: error });
  }
  if (code === 'EISDIR') return new Unavailable('is a directory where a file was expected', { cause: error });
  return new Unavailable(`cannot be read: ${code ?? (error as Error).message}`, { cause: error });
}
