import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { Unavailable } from '../../core/errors.js';

/**
 * libvirt has no scheduler, so "disabled for scheduling" is hvpatch's own note, one small
 * file per host in a directory the operator chooses (the lab keeps it in its state). Only
 * hvpatch honours it: another libvirt client can still start or migrate guests onto a
 * disabled host. That is the one way this platform differs from nova, and it is documented.
 */
export interface SchedulingState {
  enabled: boolean;
  reason?: string;
}

const Disabled = z.strictObject({ enabled: z.literal(false), reason: z.string(), since: z.number() });

export interface SchedulingStore {
  get(host: string): Promise<SchedulingState>;
  disable(host: string, reason: string, now: number): Promise<void>;
  enable(host: string): Promise<void>;
}

export function createSchedulingStore(directory: string): SchedulingStore {
  // Host ids are checked against the configured hosts before they get here; encoding keeps
  // any character from reaching the file system as a path separator all the same.
  const fileOf = (host: string) => join(directory, `${encodeURIComponent(host)}.json`);
  return {
    async get(host) {
      let text: string;
      try {
        text = await readFile(fileOf(host), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { enabled: true };
        throw new Unavailable(`cannot read the scheduling state of '${host}'`, { cause: error });
      }
      const parsed = Disabled.safeParse(parseJson(text));
      if (!parsed.success) {
        // A damaged note must not silently re-enable a host someone disabled.
        return { enabled: false, reason: `unreadable scheduling state in ${fileOf(host)}` };
      }
      return { enabled: false, reason: parsed.data.reason };
    },
    async disable(host, reason, now) {
      await mkdir(directory, { recursive: true });
      const file = fileOf(host);
      await writeFile(`${file}.tmp`, JSON.stringify({ enabled: false, reason, since: now }) + '\n');
      await rename(`${file}.tmp`, file);
    },
    async enable(host) {
      await rm(fileOf(host), { force: true });
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
