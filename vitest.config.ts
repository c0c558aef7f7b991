import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Lab, cloud and browser tests need the real lab, Nova or chromium: `npm run test:lab`, `npm run test:openstack`, `npm run test:browser`.
    exclude: [...configDefaults.exclude, 'test/lab/**', 'test/openstack/**', 'test/browser/**'],
    // Starts a throwaway PostgreSQL server (the Debian package) for the tests that need one.
    globalSetup: ['./test/support/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
