import { describe, expect, it } from 'vitest';
import { smallFleet } from '../sim/fixtures.js';
import { rebootsWithoutLivePatch, workFromUpdates } from './input.js';

describe('workFromUpdates', () => {
  it('derives reboots, guest moves and daemon restarts from what is installed', () => {
    const fleet = smallFleet([{}, {}, {}], []);
    const updates = new Map([
      ['host-0', [{ name: 'linux-image-6.8.0-60-generic', version: '6.8.0-60.63', source: 'linux' }]],
      ['host-1', [{ name: 'qemu-system-x86', version: '1:8.2.2+ds-0ubuntu1.6', source: 'qemu' }]],
      ['host-2', [{ name: 'libvirt-daemon', version: '10.0.0-2ubuntu8.6', source: 'libvirt-daemon' }]],
    ]);
    const work = workFromUpdates(fleet, (host) => updates.get(host.id) ?? []);
    expect(
      work.map(({ host, needsReboot, moveGuests, restartDaemons }) => ({
        host,
        needsReboot,
        moveGuests,
        restartDaemons,
      })),
    ).toEqual([
      { host: 'host-0', needsReboot: true, moveGuests: false, restartDaemons: [] },
      { host: 'host-1', needsReboot: false, moveGuests: true, restartDaemons: [] },
      { host: 'host-2', needsReboot: false, moveGuests: false, restartDaemons: ['libvirtd'] },
    ]);
    expect(work[0].packages).toEqual([{ name: 'linux-image-6.8.0-60-generic', version: '6.8.0-60.63' }]);
  });

  it('leaves out hosts with nothing to install', () => {
    expect(workFromUpdates(smallFleet([{}], []), () => [])).toEqual([]);
  });

  it('makes a planner that does not live patch reboot for a kernel fix a live patch covers', () => {
    const base = { host: 'h', packages: [], restartDaemons: [], moveGuests: false };
    expect(
      rebootsWithoutLivePatch({ ...base, needsReboot: false, livePatch: { id: 'lp', fixesVersion: '1' } }),
    ).toBe(true);
    expect(rebootsWithoutLivePatch({ ...base, needsReboot: false })).toBe(false);
  });
});
