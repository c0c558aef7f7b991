import { defineConfig } from 'vitest/config';

/**
 * The tests that need the real lab (lab/up): run with `npm run test:lab`. One file at a
 * time, since they share the lab's hosts and guests; real migrations and reboots take seconds.
 */
export default defineConfig({
  test: {
    include: ['test/lab/**/*.lab.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
