import { postgresTarget } from '../../test/support/store-targets.js';
import { describeStoreConformance } from './store.suite.js';

describeStoreConformance('PostgreSQL server', postgresTarget());
