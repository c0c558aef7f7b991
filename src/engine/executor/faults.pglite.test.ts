import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openStore, type Store } from '../../store/index.js';
import { describeFaultSuite } from '../testing/fault-suite.js';

const runs = (variable: string, fallback: number) => Number(process.env[variable] ?? fallback);

// One in-memory database for every run (creating one costs seconds): each run is a campaign of its own.
let shared: Store;
beforeAll(async () => {
  shared = await openStore({});
});
afterAll(async () => {
  await shared.close();
});
describeFaultSuite('PGlite in memory, workers killed and replaced', {
  open: async () => ({ store: shared }),
  runs: runs('HVPATCH_ENGINE_FAULT_RUNS', 1000),
  maxKills: 2,
});

// A data directory, abandoned at each kill without a clean shutdown and opened again: what kill -9 leaves.
describeFaultSuite('PGlite data directory, reopened after each kill', {
  open: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hvpatch-engine-'));
    const opened: Store[] = [await openStore({ dataDir: dir })];
    return {
      store: opened[0]!,
      reopen: async () => {
        const next = await openStore({ dataDir: dir });
        opened.push(next);
        return next;
      },
      dir,
      opened,
    };
  },
  after: async (where) => {
    const { dir, opened } = where as unknown as { dir: string; opened: Store[] };
    await opened.at(-1)!.close();
    await rm(dir, { recursive: true, force: true });
  },
  runs: runs('HVPATCH_ENGINE_FAULT_DIR_RUNS', 10),
  maxKills: 1,
});
