import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium (scripts/install-test-deps.sh installs it): no browser is downloaded. */
export const CHROMIUM = process.env.HVPATCH_CHROMIUM ?? '/usr/bin/chromium';

/** Screenshots land here; `artifacts/` is ignored by git. */
export const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));

export async function launchBrowser(): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true });
  // Root cannot use chromium's sandbox; the pages are our own, served from 127.0.0.1.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}
