export * from './common.js';
export * from './fleet.js';
export * from './policy.js';
export * from './references.js';
