import { defineConfig } from 'vitest/config';

/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core): run with
 * `npm run test:browser`. One file at a time: each starts a server and a browser, and the
 * machine's cores are better spent on one campaign than on several.
 */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
