import { describe, expect, it } from 'vitest';
import { chooseStrategies } from './strategy.js';
import { fleetOf, inputOf, KERNEL, NEW_QEMU, reboot } from './fixtures.js';

const strategyOf = (strategies: ReturnType<typeof chooseStrategies>, host: string) =>
  strategies.find((entry) => entry.host === host);

describe('chooseStrategies', () => {
  const fleet = fleetOf(
    [
      { id: 'evac' },
      { id: 'patch', livepatch: true },
      { id: 'daemons' },
      { id: 'consent' },
      { id: 'pinned' },
      { id: 'qemu' },
      { id: 'idle' },
      { id: 'spare' },
    ],
    [
      { id: 'web-1', host: 'evac', service: 'web' },
      { id: 'web-2', host: 'evac', service: 'web' },
      { id: 'batch-1', host: 'consent', service: 'batch' },
      { id: 'batch-2', host: 'consent', service: 'batch', state: 'stopped' },
      { id: 'db-1', host: 'pinned', service: 'db', migratable: 'none' },
      { id: 'app-1', host: 'qemu', service: 'web' },
      { id: 'off-1', host: 'idle', state: 'stopped' },
    ],
    [
      { id: 'web', disruptionBudget: 1 },
      { id: 'batch', disruptionBudget: 2, consentInPlaceReboot: true },
      { id: 'db', disruptionBudget: 1 },
    ],
  );
  const strategies = chooseStrategies(
    inputOf(fleet, [
      reboot('evac'),
      {
        host: 'patch',
        packages: [KERNEL],
        needsReboot: false,
        livePatch: { id: 'LSN-0100-1', fixesVersion: KERNEL.version },
        restartDaemons: [],
        moveGuests: false,
      },
      {
        host: 'daemons',
        packages: [{ name: 'libvirt0', version: '8.0.0-1ubuntu7.10' }],
        needsReboot: false,
        restartDaemons: ['libvirtd'],
        moveGuests: false,
      },
      reboot('consent'),
      reboot('pinned', { due: '2026-01-12T00:00:00Z' }),
      {
        host: 'qemu',
        packages: [{ name: 'qemu-system-x86', version: NEW_QEMU }],
        needsReboot: false,
        restartDaemons: [],
        moveGuests: true,
      },
      reboot('idle'),
      {
        host: 'spare',
        packages: [{ name: 'openssl', version: '3.0.2-0ubuntu1.15' }],
        needsReboot: false,
        restartDaemons: [],
        moveGuests: false,
      },
    ]),
  );

  it('evacuates a host whose kernel needs a reboot and whose guests may only move', () => {
    const entry = strategyOf(strategies, 'evac')!;
    expect(entry.strategy).toBe('evacuate-reboot');
    expect(entry.explanation).toContain(KERNEL.name);
    expect(entry.explanation).toContain('2 running guests live-migrate');
  });

  it('live patches when a live patch covers the kernel', () => {
    const entry = strategyOf(strategies, 'patch')!;
    expect(entry.strategy).toBe('live-patch');
    expect(entry.explanation).toContain('LSN-0100-1');
  });

  it('only restarts daemons when nothing else needs activating', () => {
    const entry = strategyOf(strategies, 'daemons')!;
    expect(entry.strategy).toBe('restart-daemons');
    expect(entry.explanation).toContain('libvirtd');
  });

  it('reboots in place when every running guest may be stopped', () => {
    expect(strategyOf(strategies, 'consent')!.strategy).toBe('in-place-reboot');
    expect(strategyOf(strategies, 'idle')!.strategy).toBe('in-place-reboot');
    expect(strategyOf(strategies, 'idle')!.explanation).toContain('no guest runs on it');
  });

  it('defers activation and names the guest and service that hold the host', () => {
    const entry = strategyOf(strategies, 'pinned')!;
    expect(entry.strategy).toBe('defer-activation');
    expect(entry.explanation).toContain('db-1');
    expect(entry.explanation).toContain('service db');
    expect(entry.explanation).toContain('due 2026-01-12');
  });

  it('moves guests off an old QEMU without rebooting the host', () => {
    const entry = strategyOf(strategies, 'qemu')!;
    expect(entry.strategy).toBe('evacuate-reboot');
    expect(entry.explanation).toContain('new QEMU');
    expect(entry.explanation).toContain('no reboot');
  });

  it('installs only when nothing uses the updated packages', () => {
    expect(strategyOf(strategies, 'spare')!.strategy).toBe('none');
  });
});
