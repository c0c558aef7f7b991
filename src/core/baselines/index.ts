/** Today's tools as planners over hvpatch's model, to measure hvpatch's plans against. */
export { planBaseline, BASELINES, type BaselineName } from './plan.js';
