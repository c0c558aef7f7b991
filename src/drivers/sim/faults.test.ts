import { describe, expect, it } from 'vitest';
import { Conflict, TimedOut, Unavailable } from '../../core/errors.js';
import { smallFleet } from '../../core/sim/fixtures.js';
import type { TargetedFault } from '../../core/sim/index.js';
import { createSimEnvironment } from './index.js';

const withFaults = (...targeted: TargetedFault[]) =>
  createSimEnvironment(smallFleet([{}, {}], [{}]), { faults: { targeted } });

describe('api-timeout faults through the ports', () => {
  it('not applied: the call hangs for the API timeout, throws TimedOut, and nothing changed', async () => {
    const { platform, clock, sim } = withFaults({
      kind: 'api-timeout',
      operation: 'disableHost',
      effect: 'not-applied',
    });
    const start = clock.now();
    await expect(platform.disableHost('host-1', 'patching')).rejects.toBeInstanceOf(TimedOut);
    expect(clock.now() - start).toBe(sim.timings.apiTimeoutMs);
    expect(sim.host('host-1').enabled).toBe(true);
    // Used up: the retry goes through.
    await platform.disableHost('host-1', 'patching');
    expect(sim.host('host-1').enabled).toBe(false);
  });

  it('applied: the call throws TimedOut although it took effect, so the caller must look before retrying', async () => {
    const { platform } = withFaults({ kind: 'api-timeout', operation: 'liveMigrate', effect: 'applied' });
    await expect(platform.liveMigrate('guest-0', 'host-1')).rejects.toBeInstanceOf(TimedOut);
    const where = await platform.locateGuest('guest-0');
    // A minute later the migration has long finished.
    expect(where).toMatchObject({ host: 'host-1', state: 'running' });
  });

  it('applied to a reboot: the host reboots while the caller hears nothing', async () => {
    const { hostAgent, clock } = withFaults({
      kind: 'api-timeout',
      operation: 'reboot',
      host: 'host-0',
      effect: 'applied',
    });
    const { bootId } = await hostAgent.runningVersions('host-0');
    await expect(hostAgent.reboot('host-0')).rejects.toBeInstanceOf(TimedOut);
    // The reboot takes five minutes: the host is still away when the call gives up, and a blind retry is refused.
    await expect(hostAgent.health('host-0')).rejects.toBeInstanceOf(Unavailable);
    await expect(hostAgent.reboot('host-0')).rejects.toBeInstanceOf(Conflict);
    await clock.sleep(300_000);
    expect((await hostAgent.runningVersions('host-0')).bootId).not.toBe(bootId);
  });

  it('strikes only the operation and subject it names', async () => {
    const { platform } = withFaults({
      kind: 'api-timeout',
      operation: 'enableHost',
      host: 'host-1',
      effect: 'not-applied',
    });
    await platform.enableHost('host-0');
    await expect(platform.listHosts()).resolves.toHaveLength(2);
    await expect(platform.enableHost('host-1')).rejects.toBeInstanceOf(TimedOut);
  });
});

describe('host faults through the ports', () => {
  it('a degraded host reboots but fails its health check', async () => {
    const { hostAgent } = withFaults({ kind: 'reboot-degraded', host: 'host-0' });
    const { bootId } = await hostAgent.reboot('host-0');
    const health = await hostAgent.health('host-0');
    expect(health).toMatchObject({ healthy: false, bootId });
    expect(health.checks.find((c) => !c.ok)?.name).toBe('hypervisor');
  });

  it('a host that does not come back fails the reboot with Unavailable and answers nothing more', async () => {
    const { hostAgent, platform } = withFaults({ kind: 'reboot-no-return', host: 'host-0' });
    await expect(hostAgent.reboot('host-0')).rejects.toBeInstanceOf(Unavailable);
    await expect(hostAgent.installedPackages('host-0')).rejects.toBeInstanceOf(Unavailable);
    expect((await platform.listHosts()).find((h) => h.id === 'host-0')).toMatchObject({ up: false });
    expect(await platform.locateGuest('guest-0')).toMatchObject({ host: 'host-0', state: 'stopped' });
  });

  it('a hung migration reports no progress until it is aborted', async () => {
    const { platform, clock } = withFaults({ kind: 'migration-hangs', guest: 'guest-0', atRound: 0 });
    const id = await platform.liveMigrate('guest-0', 'host-1');
    await clock.sleep(10_000);
    const stuck = await platform.migrationStatus(id);
    await clock.sleep(10_000);
    expect(await platform.migrationStatus(id)).toEqual(stuck);
    await platform.abortMigration(id);
    expect(await platform.waitForMigration(id)).toMatchObject({ phase: 'aborted', finished: true });
    expect(await platform.locateGuest('guest-0')).toMatchObject({ host: 'host-0', state: 'running' });
  });
});
