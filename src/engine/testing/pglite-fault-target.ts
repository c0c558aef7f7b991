import { afterAll, beforeAll } from 'vitest';
import { openStore, type Store } from '../../store/index.js';
import { describeFaultSuite } from './fault-suite.js';

/** The in-memory PGlite campaigns, taken together: HVPATCH_ENGINE_FAULT_RUNS, 1,000 unless set. */
const TOTAL_RUNS = Number(process.env.HVPATCH_ENGINE_FAULT_RUNS ?? 1000);

/**
 * Part `part` of `parts` of the in-memory PGlite fault suite. The campaigns are independent
 * random draws, so the suite is cut into parts that run in test files of their own, which
 * vitest runs side by side: one part is the longest test file of `npm test`.
 */
export function describeInMemoryPGliteFaults(part: number, parts: number): void {
  const first = Math.floor((TOTAL_RUNS * (part - 1)) / parts);
  const runs = Math.floor((TOTAL_RUNS * part) / parts) - first;
  // One in-memory database for every run of the part (creating one costs seconds): each run is a campaign of its own.
  let shared: Store;
  beforeAll(async () => {
    shared = await openStore({});
  });
  afterAll(async () => {
    await shared.close();
  });
  describeFaultSuite(`PGlite in memory, workers killed and replaced (part ${part} of ${parts})`, {
    open: async () => ({ store: shared }),
    runs,
    maxKills: 2,
  });
}
