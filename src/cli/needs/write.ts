import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { BadInput } from '../../core/errors.js';
import { jsonChunks } from '../../core/generate/index.js';

/**
 * Writes pieces of a large report to a file (or stdout), waiting when the stream is full,
 * so that a 10,000-host report never has to be one string in memory.
 */
export async function writePieces(pieces: Iterable<string>, file?: string): Promise<void> {
  const stream = file === undefined ? process.stdout : createWriteStream(file);
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  failed.catch(() => undefined);
  try {
    for (const piece of pieces) {
      if (!stream.write(piece)) await Promise.race([once(stream, 'drain'), failed]);
    }
    if (stream !== process.stdout) {
      stream.end();
      await Promise.race([once(stream, 'finish'), failed]);
    }
  } catch (error) {
    // A reader that stops early (`| head`) has all it wants.
    if (file === undefined && (error as NodeJS.ErrnoException).code === 'EPIPE') return;
    const reason =
      (error as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new BadInput([{ file, message: `cannot be written: ${reason}` }], { cause: error });
  }
}

/** `JSON.stringify(value, null, 2)` and a newline, in pieces. */
export function* jsonPieces(value: object): Generator<string> {
  yield* jsonChunks(value, 2);
  yield '\n';
}
