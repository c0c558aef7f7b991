import type { FaultPlan } from '../../core/sim/index.js';

/** Fault rates for simulated runs: `light` is enough that a run shows retries and a failed host, as real campaigns do. */
export const FAULT_PRESETS: Record<string, FaultPlan> = {
  none: {},
  light: {
    probabilities: {
      migrationFails: 0.01,
      migrationHangs: 0.002,
      rebootDegraded: 0.02,
      rebootNoReturn: 0.01,
    },
  },
  heavy: {
    probabilities: {
      migrationFails: 0.05,
      migrationHangs: 0.01,
      rebootDegraded: 0.05,
      rebootNoReturn: 0.03,
      apiTimeout: 0.01,
    },
  },
};
