import { describeInMemoryPGliteFaults } from '../testing/pglite-fault-target.js';

// The second half of the in-memory PGlite campaigns; the first is in faults.pglite.test.ts.
describeInMemoryPGliteFaults(2, 2);
