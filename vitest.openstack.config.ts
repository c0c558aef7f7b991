import { defineConfig } from 'vitest/config';

/**
 * The tests that need the real Nova cloud (openstack/up): run with `npm run test:openstack`.
 * One file at a time, since they share the cloud's hosts and servers; each fake live
 * migration takes ≈ 5 s.
 */
export default defineConfig({
  test: {
    include: ['test/openstack/**/*.openstack.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
