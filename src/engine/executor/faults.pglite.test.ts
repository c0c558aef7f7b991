import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../store/index.js';
import { describeFaultSuite } from '../testing/fault-suite.js';
import { describeInMemoryPGliteFaults } from '../testing/pglite-fault-target.js';

// The other half is faults.pglite.part2.test.ts, so that the two run side by side.
describeInMemoryPGliteFaults(1, 2);

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
  runs: Number(process.env.HVPATCH_ENGINE_FAULT_DIR_RUNS ?? 10),
  maxKills: 1,
});
