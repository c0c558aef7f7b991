import type { Fix, FixIndex } from './fixes.js';
import type { LivepatchIndex } from './livepatch.js';
import type { Classifier } from './rules.js';
import type { Deadlines, FixSummary } from './summary.js';

/** Built once per fleet: indexes, rules, the policy's deadlines and the moment of judgement. */
export interface NeedsContext {
  fixes: FixIndex;
  livepatch: LivepatchIndex;
  classifier: Classifier;
  deadlines: Deadlines;
  now: number;
  /** Hosts at the same versions share their fix lists, so each list is summed up once. */
  summaries: WeakMap<readonly Fix[], FixSummary>;
}
