/**
 * The first step of the end-to-end campaign on the lab: inventory through the real drivers,
 * then the needs the lab's own advisories give every host.
 */
import { describe, expect, it } from 'vitest';
import { computeNeeds } from '../../src/core/needs/index.js';
import { loadAdvisories } from '../../src/drivers/advisories/index.js';
import { labHostAgent, labPlatform } from './support/drivers.js';
import { inventoryLab } from './support/fleet.js';
import { requireLab } from './support/lab.js';

describe('the lab, inventoried', () => {
  it('needs the QEMU fix (by migration) and the lab kernel fix (by reboot) on every host', async () => {
    const lab = requireLab();
    const agent = labHostAgent(lab);
    try {
      const fleet = await inventoryLab(lab, labPlatform(lab), agent);
      expect(fleet.guests.filter((g) => g.state === 'running').length).toBe(lab.guests.length);
      const { advisories, problems } = await loadAdvisories([lab.advisoriesDir]);
      expect(problems).toEqual([]);
      const needs = computeNeeds(fleet, advisories, { now: Date.now() });
      for (const host of needs) {
        expect(host.compliant).toBe(false);
        const byPackage = new Map(host.needs.map((n) => [n.package, n]));
        expect(byPackage.get('qemu')).toMatchObject({
          installed: lab.packages.qemu.old,
          fixed: '1:7.2+dfsg-7+deb12u18',
          class: 'guest-restart-or-migrate',
          advisories: ['HVLAB-2025-0001'],
        });
        expect(byPackage.get(lab.packages.labKernel.source)).toMatchObject({
          installed: lab.packages.labKernel.old,
          fixed: lab.packages.labKernel.new,
          class: 'reboot',
          advisories: ['HVLAB-2025-0002'],
        });
      }
    } finally {
      agent.close();
    }
  });
});
