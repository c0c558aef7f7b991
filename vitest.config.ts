import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';
import LongPolesFirst from './test/support/long-poles-first.js';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Lab, cloud and browser tests need the real lab, Nova or chromium: `npm run test:lab`, `npm run test:openstack`, `npm run test:browser`.
    exclude: [...configDefaults.exclude, 'test/lab/**', 'test/openstack/**', 'test/browser/**'],
    // Starts a throwaway PostgreSQL server (the Debian package) for the tests that need one.
    globalSetup: ['./test/support/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Vitest leaves one core to itself by default: on the 2-core CI machine that is one worker,
    // while its main process mostly waits. Two workers there, vitest's default elsewhere.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: LongPolesFirst },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
