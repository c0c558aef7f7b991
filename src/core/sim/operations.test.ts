import { describe, expect, it } from 'vitest';
import { BadInput, Conflict, NotFound, Unavailable } from '../errors.js';
import { smallFleet } from './fixtures.js';
import { Simulation } from './simulation.js';
import { DEFAULT_TIMINGS } from './timings.js';

const twoGuests = () => smallFleet([{}, {}], [{}, { state: 'stopped' }]);

describe('host reboot', () => {
  it('takes running guests down with the host for its reboot duration and brings them back', () => {
    const sim = new Simulation(twoGuests());
    const start = sim.now;
    const job = sim.reboot('host-0');
    expect(sim.host('host-0').power).toBe('rebooting');
    expect(sim.guest('guest-0').state).toBe('stopped');
    expect(() => sim.reboot('host-0')).toThrow(/already rebooting/);
    sim.runUntilIdle();
    expect(job).toMatchObject({
      status: 'succeeded',
      value: { previousBootId: 'host-0/boot-1', bootId: 'host-0/boot-2' },
    });
    expect(sim.now - start).toBe(300_000);
    expect(sim.guest('guest-0').state).toBe('running');
    expect(sim.guest('guest-1').state).toBe('stopped');
    expect(sim.disruptions).toEqual([
      {
        kind: 'rebooted-with-host',
        guest: 'guest-0',
        host: 'host-0',
        start,
        durationMs: 300_000,
        cause: job.id,
      },
    ]);
  });

  it('boots the installed kernel, drops live patches, and restarts guests on the installed QEMU', () => {
    const sim = new Simulation(twoGuests());
    sim.applyLivePatch('host-0', {
      id: 'lp-1',
      kernelRelease: '6.8.0-51-generic',
      fixesVersion: '6.8.0-52.53',
    });
    sim.installPackages('host-0', [
      { name: 'linux-image-6.8.0-53-generic', version: '6.8.0-53.55', source: 'linux' },
      { name: 'qemu-system-x86', version: '1:8.2.2+ds-0ubuntu1.6' },
    ]);
    sim.runUntilIdle();
    const host = sim.host('host-0');
    expect(host.livePatches.map((p) => p.id)).toEqual(['lp-1']);
    expect(host.runningKernel?.version).toBe('6.8.0-51.52');
    expect(sim.guest('guest-0').qemuVersion).toBe('1:8.2.2+ds-0ubuntu1.4');
    sim.reboot('host-0');
    sim.runUntilIdle();
    expect(sim.host('host-0').runningKernel).toEqual({
      release: '6.8.0-53-generic',
      source: 'linux',
      version: '6.8.0-53.55',
    });
    expect(sim.host('host-0').livePatches).toEqual([]);
    expect(sim.guest('guest-0').qemuVersion).toBe('1:8.2.2+ds-0ubuntu1.6');
  });

  it('activates staged firmware at boot, except the BMC’s, which resets on its own', () => {
    const sim = new Simulation(twoGuests());
    sim.stageFirmware('host-0', 'bios', '2.2.0');
    sim.stageFirmware('host-0', 'bmc', '5.20');
    sim.runUntilIdle();
    const bios = sim.applyFirmware('host-0', 'bios');
    sim.runUntilIdle();
    expect(bios.value).toEqual({ activated: false, requiresReboot: true });
    sim.reboot('host-0');
    sim.runUntilIdle();
    expect(sim.host('host-0').firmware.get('bios')).toEqual({ version: '2.2.0', staged: undefined });
    expect(sim.host('host-0').firmware.get('bmc')).toEqual({ version: '5.10', staged: '5.20' });
    const bmc = sim.applyFirmware('host-0', 'bmc');
    sim.runUntilIdle();
    expect(bmc.value).toEqual({ activated: true, requiresReboot: false });
    expect(sim.host('host-0').firmware.get('bmc')).toEqual({ version: '5.20', staged: undefined });
    expect(sim.disruptions.filter((d) => d.kind !== 'rebooted-with-host')).toEqual([]);
    expect(() => sim.applyFirmware('host-0', 'bmc')).toThrow(/no bmc firmware staged/);
    expect(() => sim.stageFirmware('host-0', 'raid', '1')).toThrow(NotFound);
  });

  it('fails a job that was running on the host when it rebooted', () => {
    const sim = new Simulation(twoGuests());
    const install = sim.installPackages('host-0', [{ name: 'libc6', version: '2.39-0ubuntu8.4' }]);
    sim.reboot('host-0');
    sim.runUntilIdle();
    expect(install.status).toBe('failed');
    expect(install.error).toBeInstanceOf(Unavailable);
    expect(sim.host('host-0').packages.has('libc6')).toBe(false);
  });
});

describe('daemon restarts', () => {
  it('Open vSwitch blips the network of every running guest on the host', () => {
    const sim = new Simulation(twoGuests());
    const job = sim.restartDaemon('host-0', 'openvswitch-switch');
    sim.runUntilIdle();
    expect(job.status).toBe('succeeded');
    expect(sim.disruptions).toEqual([
      {
        kind: 'network-blip',
        guest: 'guest-0',
        host: 'host-0',
        start: job.startedAt,
        durationMs: DEFAULT_TIMINGS.daemonRestartMs,
        cause: job.id,
      },
    ]);
  });

  it('libvirtd leaves guests alone but cancels the migrations it was driving', () => {
    const sim = new Simulation(smallFleet([{}, {}, {}], [{}, {}]));
    const running = sim.migrate('guest-0', 'host-1');
    const queued = sim.migrate('guest-1', 'host-2');
    sim.restartDaemon('host-0', 'libvirtd');
    expect(running.phase).toBe('failed');
    expect(running.reason).toMatch(/libvirtd restarted/);
    expect(queued.phase).toBe('precopy');
    sim.runUntilIdle();
    expect(sim.disruptions.map((d) => d.kind)).toEqual(['migration-failed', 'migration-pause']);
  });

  it('clears what the daemon mapped from replaced packages', () => {
    const sim = new Simulation(twoGuests());
    sim.installPackages('host-0', [{ name: 'libvirt-daemon', version: '10.0.0-2ubuntu8.6' }]);
    sim.runUntilIdle();
    const daemons = sim.host('host-0').daemons;
    expect([...daemons.get('libvirtd')!.mapsDeletedFrom]).toEqual(['libvirt-daemon']);
    expect([...daemons.get('openvswitch-switch')!.mapsDeletedFrom]).toEqual([]);
    sim.installPackages('host-0', [{ name: 'libssl3t64', version: '3.0.13-0ubuntu3.5' }]);
    sim.runUntilIdle();
    expect([...daemons.get('openvswitch-switch')!.mapsDeletedFrom]).toEqual(['libssl3t64']);
    sim.restartDaemon('host-0', 'libvirtd');
    sim.runUntilIdle();
    expect(daemons.get('libvirtd')!.mapsDeletedFrom.size).toBe(0);
    expect(() => sim.restartDaemon('host-0', 'nginx')).toThrow(NotFound);
  });
});

describe('packages and live patches', () => {
  it('installs as one transaction that rollback undoes, one transaction at a time', () => {
    const sim = new Simulation(twoGuests());
    const before = sim.host('host-0').qemuVersion;
    const install = sim.installPackages('host-0', [
      { name: 'qemu-system-x86', version: '1:8.2.2+ds-0ubuntu1.6' },
      { name: 'libc6', version: '2.39-0ubuntu8.4' },
    ]);
    expect(() =>
      sim.installPackages('host-0', [{ name: 'zlib1g', version: '1:1.3.dfsg-3.1ubuntu2.1' }]),
    ).toThrow(/dpkg lock/);
    sim.runUntilIdle();
    expect(install.endedAt! - install.startedAt).toBe(
      DEFAULT_TIMINGS.packageInstallBaseMs + 2 * DEFAULT_TIMINGS.packageInstallPerPackageMs,
    );
    expect(sim.host('host-0').qemuVersion).toBe('1:8.2.2+ds-0ubuntu1.6');
    sim.rollback('host-0');
    sim.runUntilIdle();
    expect(sim.host('host-0').qemuVersion).toBe(before);
    expect(sim.host('host-0').packages.get('qemu-system-x86')?.version).toBe(before);
    expect(sim.host('host-0').packages.has('libc6')).toBe(false);
    expect(() => sim.rollback('host-0')).toThrow(Conflict);
    expect(() => sim.installPackages('host-0', [])).toThrow(BadInput);
  });

  it('rolling back a kernel upgrade makes the next boot run the old kernel again', () => {
    const sim = new Simulation(twoGuests());
    sim.installPackages('host-0', [{ name: 'linux-image-6.8.0-53-generic', version: '6.8.0-53.55' }]);
    sim.runUntilIdle();
    expect(sim.host('host-0').pendingKernel).toBe('6.8.0-53.55');
    sim.rollback('host-0');
    sim.runUntilIdle();
    expect(sim.host('host-0').pendingKernel).toBeUndefined();
  });

  it('applies a live patch only with a client and for the running kernel', () => {
    const sim = new Simulation(smallFleet([{}, { livepatch: false }], []));
    const patch = { id: 'lp-2', kernelRelease: '6.8.0-51-generic', fixesVersion: '6.8.0-52.53' };
    expect(() => sim.applyLivePatch('host-1', patch)).toThrow(/no live-patch client/);
    expect(() => sim.applyLivePatch('host-0', { ...patch, kernelRelease: '6.8.0-40-generic' })).toThrow(
      /runs 6.8.0-51-generic/,
    );
    const job = sim.applyLivePatch('host-0', patch);
    sim.runUntilIdle();
    expect(job.endedAt! - job.startedAt).toBe(DEFAULT_TIMINGS.livePatchMs);
    expect(sim.host('host-0').livePatches).toEqual([patch]);
    expect(sim.disruptions).toEqual([]);
  });
});

describe('guests stopped and started', () => {
  it('logs the guest down from the stop request until it runs again', () => {
    const sim = new Simulation(twoGuests());
    const stop = sim.stopGuest('guest-0');
    expect(() => sim.stopGuest('guest-0')).toThrow(/busy/);
    expect(() => sim.migrate('guest-0', 'host-1')).toThrow(/busy/);
    sim.runUntilIdle();
    expect(sim.guest('guest-0')).toMatchObject({ state: 'stopped', qemuVersion: undefined });
    const start = sim.startGuest('guest-0');
    sim.runUntilIdle();
    expect(sim.guest('guest-0').state).toBe('running');
    expect(sim.disruptions).toEqual([
      {
        kind: 'stopped',
        guest: 'guest-0',
        host: 'host-0',
        start: stop.startedAt,
        durationMs: start.endedAt! - stop.startedAt,
        cause: stop.id,
      },
    ]);
    expect(() => sim.startGuest('guest-0')).toThrow(/running/);
  });
});

describe('events', () => {
  it('counts events by kind, and records them when asked', () => {
    const sim = new Simulation(twoGuests(), { recordEvents: true });
    sim.migrate('guest-0', 'host-1');
    sim.runUntilIdle();
    expect(sim.stats.total).toBe(sim.stats.records!.length);
    expect(sim.stats.byKind.get('migration-switchover')).toBe(1);
    expect(sim.stats.byKind.get('migration-round')).toBeGreaterThanOrEqual(1);
    const times = sim.stats.records!.map((r) => r.time);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});
