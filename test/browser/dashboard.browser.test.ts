import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/api/index.js';
import { NAMES, SECRETS, testServerOptions } from '../../src/api/testing/fixture.js';
import { ARTIFACTS, launchBrowser } from './browser.js';

let server: RunningServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const options = await testServerOptions(16, 1);
  // Fast enough to finish in seconds, slow enough to watch the bars change.
  server = await startServer({ ...options, sim: { ...options.sim, speed: 3_000 } });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const number = async (testid: string) => Number(await page.getByTestId(testid).textContent());
const progress = async () => (await page.getByTestId('progress').textContent()) ?? '';
const succeeded = async () => Number(/(\d+) succeeded/.exec(await progress())?.[1] ?? 0);

async function signIn(role: keyof typeof SECRETS) {
  await page.fill('#token', SECRETS[role]);
  await page.click('#signin button');
  await expect.poll(() => page.getByTestId('whoami').textContent()).toContain(`${NAMES[role]} (${role}`);
}

describe('the dashboard against a simulated fleet', () => {
  it('shows compliance, previews a plan, is approved, runs it live on the timeline, and compliance changes', async () => {
    // The token comes in the fragment, which the browser never sends, and leaves the address bar.
    await page.goto(`${server.url}#token=${SECRETS.operator}`);
    await expect.poll(() => page.getByTestId('whoami').textContent()).toContain('otto (operator)');
    expect(page.url()).not.toContain(SECRETS.operator);
    await expect.poll(() => page.locator('#hosts .host-row').count()).toBeGreaterThan(0);
    const hosts = await number('total-hosts');
    expect(hosts).toBe(16);
    const compliantBefore = await number('total-compliant');
    const needsBefore = await number('total-needs');
    expect(needsBefore).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, '1-fleet.png'), fullPage: true });

    await page.getByTestId('preview').click();
    await expect
      .poll(() => page.getByTestId('plan-summary').textContent(), { timeout: 60_000 })
      .toContain('makespan');
    expect(await page.getByTestId('plan-summary').textContent()).toContain('checker: no violations');
    expect(await page.getByTestId('impact').locator('figure').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, '2-plan-preview.png'), fullPage: true });

    await page.getByTestId('create').click();
    await expect.poll(() => page.getByTestId('campaign-state').textContent()).toBe('draft');
    // An operator may not approve: the page says why, and nothing changes.
    await page.getByTestId('approve').click();
    await expect.poll(() => page.getByTestId('error').textContent()).toContain('403');
    expect(await page.getByTestId('campaign-state').textContent()).toBe('draft');

    await signIn('approver');
    await page.getByTestId('approve').click();
    await expect.poll(() => page.getByTestId('campaign-state').textContent()).toBe('approved');
    expect(await page.getByTestId('stages').textContent()).toContain(NAMES.approver);
    await expect
      .poll(() => page.getByTestId('audit').textContent())
      .toContain(`${NAMES.approver} stage-approved`);
    await page.screenshot({ path: join(ARTIFACTS, '3-approved.png'), fullPage: true });

    await signIn('operator');
    const timeline = page.getByTestId('timeline');
    const pending = await timeline.screenshot();
    await page.getByTestId('run').click();
    await expect.poll(() => page.getByTestId('campaign-state').textContent()).toMatch(/running|completed/);
    // Live: the bars change as actions start and finish, without reloading.
    await expect.poll(succeeded, { timeout: 120_000 }).toBeGreaterThan(0);
    const moving = await timeline.screenshot({ path: join(ARTIFACTS, '4-running-timeline.png') });
    expect(moving.equals(pending)).toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, '4-running.png'), fullPage: true });

    await expect
      .poll(() => page.getByTestId('campaign-state').textContent(), { timeout: 240_000 })
      .toBe('completed');
    const done = await timeline.screenshot();
    expect(done.equals(moving)).toBe(false);
    await expect.poll(() => number('total-compliant'), { timeout: 60_000 }).toBeGreaterThan(compliantBefore);
    expect(await number('total-needs')).toBeLessThan(needsBefore);
    await page.screenshot({ path: join(ARTIFACTS, '5-completed.png'), fullPage: true });
  });
});
