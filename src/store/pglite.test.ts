import { pgliteTarget } from '../../test/support/store-targets.js';
import { describeStoreConformance } from './store.suite.js';

describeStoreConformance('embedded PGlite', pgliteTarget());
