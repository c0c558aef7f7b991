/**
 * The whole product on the real lab: hvpatch inventories the hosts through its drivers,
 * computes their needs from the lab's advisories, plans the campaign with its planner, and
 * runs it with the durable executor (PGlite store, the wall clock). Then it checks what
 * really happened, from the hosts and the guests rather than from the engine's record, and
 * measures what the guests felt against the simulator's prediction (lab/e2e prints it).
 *
 * It patches every lab host for good, so it runs after the lab's other tests
 * (vitest.lab.config.ts) and marks the lab as spent (CAMPAIGN_MARKER).
 */
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/core/plan/index.js';
import { wallClock } from '../../src/drivers/libvirt/index.js';
import { planLab, runLabCampaign, trail, withStore } from './support/campaign.js';
import { labHostAgent, labPlatform } from './support/drivers.js';
import { report as heartbeatReport, watchHeartbeats, type HeartbeatReport } from './support/heartbeat.js';
import { calibrate } from './support/calibration.js';
import { impactTable, migrationImpacts, overlappingPairs, rebooted, summarise } from './support/impact.js';
import { CAMPAIGN_MARKER, E2E_REPORT_FILE, requireLab } from './support/lab.js';
import { predictMoves } from './support/prediction.js';
import { qemuAccountOf, watchQemuEvents } from './support/qemu-events.js';
import { recordingPlatform } from './support/recording-platform.js';

const versionOf = (packages: { name: string; version: string }[], name: string) =>
  packages.find((p) => p.name === name)?.version;

/** Guests the plan moves more than once, each with the plan's own reason. */
function plannedMoves(plan: Plan): Map<string, number> {
  const moves = new Map<string, number>();
  for (const a of plan.actions) if (a.kind === 'migrate') moves.set(a.guest!, (moves.get(a.guest!) ?? 0) + 1);
  return moves;
}

describe('a patch campaign on the lab, through the engine', () => {
  it('patches and reboots every host, moves every guest onto the new QEMU by live migration, reboots no guest', async () => {
    const lab = requireLab();
    const agent = labHostAgent(lab);
    const driver = labPlatform(lab);
    const recorder = recordingPlatform(driver);
    const platform = recorder.platform;
    const watches = new Map(lab.guests.map((g) => [g.id, watchHeartbeats(g.serialLog)]));
    const qemuEvents = watchQemuEvents(lab);
    try {
      await qemuEvents.ready();
      // The lab's migration bandwidth and switch-over cost, measured once before the campaign (the guest ends at home).
      const calibration = await calibrate(lab, driver, () => qemuEvents.migrations());

      // Inventory → needs → work → plan, exactly as `hvpatch plan` goes.
      const { fleet, policy, plan, violations } = await planLab(lab, platform, agent);
      expect(plan.strategies.map((s) => [s.host, s.strategy])).toEqual(
        lab.hosts.map((h) => [h.id, 'evacuate-reboot']),
      );
      expect(violations.filter((v) => v.severity === 'error')).toEqual([]);
      expect(plan.deferred).toEqual([]);
      const bootIdBefore = new Map(
        await Promise.all(
          lab.hosts.map(async (h) => [h.id, (await agent.runningVersions(h.id)).bootId] as const),
        ),
      );

      await writeFile(CAMPAIGN_MARKER, `${new Date(wallClock.now()).toISOString()}\n`);
      await withStore(async (store) => {
        const { campaign, outcome } = await runLabCampaign(store, plan, { platform, agent });
        // A few more beats from every guest, so that a guest that went down shows it.
        await wallClock.sleep(1_500);
        const heartbeats = new Map<string, HeartbeatReport>();
        for (const [guest, watch] of watches) heartbeats.set(guest, await watch.stop());
        const beatsOf = (guest: string) => watches.get(guest)!.beats;

        // Measurements first, so that they are printed whatever the checks below say.
        const migrations = await recorder.migrations();
        const heard = qemuEvents.migrations();
        const moves = migrations.map((m) => ({ status: m.final!, qemu: qemuAccountOf(heard, m.final!) }));
        // The model replays the same moves from the moments they really started.
        const predictions = predictMoves(
          fleet,
          policy,
          moves.map(({ status, qemu }) => ({
            guest: status.guest,
            source: status.source,
            target: status.target,
            startedAt: qemu?.startedAt ?? status.startedAt ?? status.requestedAt,
          })),
          calibration,
        );
        const rows = migrationImpacts(moves, predictions, calibration.bandwidthMiBps, beatsOf);
        const overlaps = overlappingPairs(moves.flatMap((m) => (m.qemu ? [m.qemu] : []))).map(
          ([a, b]) => `${a.guest} ${a.host}→ with ${b.guest} ${b.host}→`,
        );
        const guestReboots = lab.guests.filter((g) => rebooted(beatsOf(g.id))).length;
        const summary = summarise(rows, lab.guests.length, guestReboots);
        const events = await trail(store, campaign);
        await writeFile(
          E2E_REPORT_FILE,
          `${JSON.stringify({ outcome, calibration, overlaps, rows, summary, heartbeats: Object.fromEntries(heartbeats), events }, null, 2)}\n`,
        );
        console.log(`${impactTable(rows)}\n${JSON.stringify(summary)}`);
        // QEMU's own account of every move was heard, so that each prediction has its measurement.
        expect(
          moves.filter((m) => m.qemu === undefined).map((m) => m.status.id),
          events,
        ).toEqual([]);

        expect(outcome.state, events).toBe('completed');
        expect((await store.hosts(campaign)).map((h) => [h.host, h.state]).sort()).toEqual(
          lab.hosts.map((h) => [h.id, 'done']).sort(),
        );

        // Every migration asked for completed, and each guest moved exactly as often as the
        // plan said: once, or again only where the checker was told why (a lab with no spare
        // host cannot land the first evacuated host's guests on a patched one).
        expect(
          migrations.map((m) => m.final!.phase).every((p) => p === 'completed'),
          events,
        ).toBe(true);
        const moved = new Map<string, number>();
        for (const m of migrations) moved.set(m.guest, (moved.get(m.guest) ?? 0) + 1);
        expect(moved).toEqual(plannedMoves(plan));
        const movesAgain = new Set(
          violations.filter((v) => v.constraint === 'moves-again').map((v) => v.guest),
        );
        for (const [guest, count] of moved) if (count > 1) expect(movesAgain, guest).toContain(guest);

        // Every guest's last move landed on a host whose reboot had already finished.
        const rebootEnded = new Map(
          (await store.actions(campaign))
            .filter((a) => a.kind === 'reboot' && a.state === 'succeeded')
            .map((a) => [a.host, a.endedAt!]),
        );
        for (const guest of moved.keys()) {
          const last = migrations.filter((m) => m.guest === guest).at(-1)!;
          expect(rebootEnded.get(last.target), `${guest} → ${last.target}`).toBeLessThan(last.askedAt);
        }
        expect(summary.guestReboots, events).toBe(0);
      });

      // Every host upgraded and rebooted, back in service.
      for (const h of lab.hosts) {
        const installed = await agent.installedPackages(h.id);
        expect(versionOf(installed, 'qemu-system-x86'), h.id).toBe(lab.packages.qemu.new);
        expect(versionOf(installed, lab.packages.labKernel.name), h.id).toBe(lab.packages.labKernel.new);
        const running = await agent.runningVersions(h.id);
        expect(running.bootId, h.id).not.toBe(bootIdBefore.get(h.id));
        expect(running.kernel?.version, h.id).toBe(lab.packages.labKernel.new);
      }
      expect((await platform.listHosts()).map((h) => [h.id, h.enabled, h.up])).toEqual(
        lab.hosts.map((h) => [h.id, true, true]),
      );

      // Every guest runs, on the new QEMU (QMP query-version), and never rebooted.
      const guests = await platform.listGuests();
      expect(guests.map((g) => [g.guest, g.state, g.qemuVersion]).sort()).toEqual(
        lab.guests.map((g) => [g.id, 'running', lab.packages.qemu.new]).sort(),
      );
      for (const g of lab.guests) {
        const beats = heartbeatReport(watches.get(g.id)!.beats);
        expect(beats.boots, g.id).toHaveLength(1);
        expect(beats.continuous, g.id).toBe(true);
      }
    } finally {
      await qemuEvents.stop();
      for (const watch of watches.values()) await watch.stop();
      agent.close();
    }
  }, 900_000);
});
