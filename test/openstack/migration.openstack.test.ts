/**
 * What Nova adds to the conformance suite: the case it skips (minus the downtime Nova does
 * not report), an abort that really aborts (FakeLiveMigrateDriver holds each migration
 * ≈ 5 s), force-complete, and a refusal by the scheduler with Nova's own reason.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Conflict } from '../../src/core/errors.js';
import { requireCloud, serverNamed } from './support/cloud.js';
import { cloudPlatform } from './support/driver.js';
import { bringHome } from '../../src/drivers/conformance/restore.js';

const source = 'fake-compute-3';
const target = 'fake-compute-4';

function setup() {
  const cloud = requireCloud();
  return { cloud, platform: cloudPlatform(cloud), guest: serverNamed(cloud, 'conf-1').id };
}

describe('nova live migration (fake virt driver)', () => {
  afterEach(async () => {
    const { platform, guest } = setup();
    await bringHome(platform, guest, source, [source, target]);
  });

  it('live-migrates a server to a named host and follows it to completed', async () => {
    const { platform, guest } = setup();
    await bringHome(platform, guest, source, [source, target]);
    const started = performance.now();
    const id = await platform.liveMigrate(guest, target);
    const early = await platform.migrationStatus(id);
    expect(early).toMatchObject({ id, guest, source, target, finished: false });
    expect(['queued', 'precopy', 'switchover']).toContain(early.phase);
    const final = await platform.waitForMigration(id, 60_000);
    const wallMs = Math.round(performance.now() - started);
    expect(final).toMatchObject({ id, phase: 'completed', finished: true, source, target });
    expect(final.endedAt).toBeGreaterThanOrEqual(final.requestedAt);
    expect(await platform.locateGuest(guest)).toMatchObject({ host: target, state: 'running' });
    expect((await platform.listGuests(target)).map((g) => g.guest)).toContain(guest);
    expect((await platform.listGuests(source)).map((g) => g.guest)).not.toContain(guest);
    console.log(
      JSON.stringify({
        measured: 'nova fake live migration',
        wallMs,
        novaMs: final.endedAt! - final.requestedAt,
      }),
    );
  });

  it('aborts a running migration: Nova reports it cancelled and the server stays on its source', async () => {
    const { platform, guest } = setup();
    await bringHome(platform, guest, source, [source, target]);
    const id = await platform.liveMigrate(guest, target);
    await platform.abortMigration(id);
    const final = await platform.waitForMigration(id, 60_000);
    expect(final).toMatchObject({ phase: 'aborted', finished: true });
    expect(await platform.locateGuest(guest)).toMatchObject({ host: source, state: 'running' });
    await expect(platform.abortMigration(id)).rejects.toBeInstanceOf(Conflict);
  });

  it('forces a running migration to complete', async () => {
    const { platform, guest } = setup();
    await bringHome(platform, guest, source, [source, target]);
    const id = await platform.liveMigrate(guest, target);
    // Force-complete applies to a migration that is 'running' only.
    for (let i = 0; (await platform.migrationStatus(id)).phase === 'queued' && i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await platform.forceCompleteMigration(id);
    expect((await platform.waitForMigration(id, 60_000)).phase).toBe('completed');
    expect(await platform.locateGuest(guest)).toMatchObject({ host: target, state: 'running' });
  });

  it('passes on the scheduler’s refusal of a target that breaks anti-affinity, with its reason', async () => {
    const cloud = requireCloud();
    const platform = cloudPlatform(cloud);
    const aa1 = serverNamed(cloud, 'aa-1');
    const aa2 = serverNamed(cloud, 'aa-2');
    const before = await platform.locateGuest(aa1.id);
    expect(before).toMatchObject({ host: aa1.home, state: 'running' });
    const refusal = await platform.liveMigrate(aa1.id, aa2.home).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(Conflict);
    expect(String((refusal as Error).message)).toMatch(/NoValidHost|No valid host/i);
    expect(await platform.locateGuest(aa1.id)).toMatchObject({ host: aa1.home, state: 'running' });
  });

  it('names the request in the error when the credentials are wrong', async () => {
    const { cloud } = setup();
    const { createNovaPlatform } = await import('../../src/drivers/openstack/index.js');
    const { wallClock } = await import('../../src/drivers/libvirt/index.js');
    const wrong = createNovaPlatform({ auth: { ...cloud.auth, password: 'wrong' }, clock: wallClock });
    await expect(wrong.listHosts()).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringMatching(/POST identity .*\/auth\/tokens.*HTTP 401/),
    });
  });
});
