import { resolve } from 'node:path';
import { mergeAdvisories, parseAdvisoryText, type Advisory } from '../../core/advisories/index.js';
import { BadInput, HvpatchError, type InputProblem } from '../../core/errors.js';
import { fetchLimited, type HttpOptions } from './http.js';
import { createLimiter } from './limits.js';
import { indexEntries, listingLinks } from './listing.js';
import { localFiles, readFileLimited } from './local.js';

export interface LoadOptions {
  /** Per HTTP request, body included. Default 30 s. */
  timeoutMs?: number;
  /** Files read or requests in flight at once. Default 16. */
  concurrency?: number;
  /** Largest file or response accepted. Default 16 MiB: the largest real USN is well under 1 MiB. */
  maxBytes?: number;
  fetch?: typeof globalThis.fetch;
}

export interface LoadedAdvisories {
  /** One per id, sorted by id. */
  advisories: Advisory[];
  /** Everything refused or skipped, grouped by file; a problem never stops the other files. */
  problems: InputProblem[];
}

const DEFAULTS = { timeoutMs: 30_000, concurrency: 16, maxBytes: 16 * 1024 * 1024 };

/**
 * Reads advisories from files, directories (every `*.json` below them) and http(s) URLs of
 * a local mirror: a single advisory, a JSON index (a list of file names or URLs) or an
 * HTML directory listing. Bad, missing or unreachable sources become problems naming them.
 */
export async function loadAdvisories(
  sources: readonly string[],
  options: LoadOptions = {},
): Promise<LoadedAdvisories> {
  const http: HttpOptions = {
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
    maxBytes: options.maxBytes ?? DEFAULTS.maxBytes,
  };
  const limit = createLimiter(options.concurrency ?? DEFAULTS.concurrency);
  const found: Advisory[] = [];
  const problems: InputProblem[] = [];
  const take = (text: string, origin: string) => {
    const parsed = parseAdvisoryText(text, origin);
    if (parsed.advisory) found.push(parsed.advisory);
    problems.push(...parsed.problems);
  };

  const urls = sources.filter((source) => /^[a-z][a-z0-9+.-]*:\/\//i.test(source));
  for (const url of urls.filter((source) => !/^https?:\/\//i.test(source))) {
    problems.push({
      file: url,
      message: 'is a URL hvpatch cannot read: give an http(s) URL or a local path',
    });
  }
  const remote = readRemote(
    urls.filter((source) => /^https?:\/\//i.test(source)),
    { http, limit, take, problems },
  );
  const local = readLocal(
    sources.filter((source) => !urls.includes(source)),
    { maxBytes: http.maxBytes, limit, take, problems },
  );
  await Promise.all([remote, local]);

  const merged = mergeAdvisories(found);
  const all = [...problems, ...merged.problems];
  // Sorting by file alone (the sort is stable) keeps each file's problems in the order its fields were read.
  all.sort((a, b) => compareText(a.file ?? '', b.file ?? ''));
  return { advisories: merged.advisories, problems: all };
}

interface Reader {
  limit: <T>(task: () => Promise<T>) => Promise<T>;
  take: (text: string, origin: string) => void;
  problems: InputProblem[];
}

async function readLocal(sources: readonly string[], reader: Reader & { maxBytes: number }): Promise<void> {
  // Listed in source order before anything is read, so that a file named by two sources is
  // read once, always under the name the first source gives it.
  const files = new Map<string, string>();
  for (const source of sources) {
    const listed = await localFiles(source);
    reader.problems.push(...listed.problems);
    for (const file of listed.files) if (!files.has(resolve(file))) files.set(resolve(file), file);
  }
  await Promise.all(
    [...files.values()].map((file) =>
      reader
        .limit(async () => {
          const text = decode(await readFileLimited(file, reader.maxBytes), file);
          reader.take(text, file);
        })
        .catch((error: unknown) => reader.problems.push(...problemsOf(error, file))),
    ),
  );
}

async function readRemote(urls: readonly string[], reader: Reader & { http: HttpOptions }): Promise<void> {
  const seen = new Set<string>();
  const visit = async (url: string): Promise<void> => {
    if (seen.has(url)) return;
    seen.add(url);
    let next: string[] = [];
    try {
      const fetched = await reader.limit(() => fetchLimited(url, reader.http));
      const text = decode(fetched.body, url);
      if (/html/i.test(fetched.contentType) || text.trimStart().startsWith('<')) {
        next = listingLinks(text, fetched.url);
        if (next.length === 0) {
          reader.problems.push({
            file: url,
            message: 'is an HTML page that links to no .json file or subdirectory',
          });
        }
      } else {
        const index = asIndex(text);
        if (index) {
          const entries = indexEntries(index, fetched.url);
          reader.problems.push(...entries.problems);
          next = entries.urls;
        } else {
          reader.take(text, url);
        }
      }
    } catch (error) {
      reader.problems.push(...problemsOf(error, url));
    }
    await Promise.all(next.map(visit));
  };
  await Promise.all(
    urls.map((url) => {
      if (URL.canParse(url)) return visit(new URL(url).href);
      reader.problems.push({ file: url, message: 'is not a valid URL' });
    }),
  );
}

/** A JSON list is a mirror index; anything else is read as an advisory (and refused there if bad). */
function asIndex(text: string): unknown[] | undefined {
  if (!text.trimStart().startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function decode(bytes: Uint8Array, origin: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new BadInput([{ file: origin, message: 'is not valid UTF-8 text' }], { cause: error });
  }
}

function problemsOf(error: unknown, origin: string): InputProblem[] {
  if (error instanceof BadInput) return [...error.problems];
  if (error instanceof HvpatchError) return [{ file: origin, message: error.message }];
  throw error;
}
