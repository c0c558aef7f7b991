/**
 * Faults during a campaign on the real Nova, each through the engine (runEndToEnd) on a
 * campaign that patches only the lab's empty compute (fake-compute-4) with servers booted
 * onto it for the test, and each checked afterwards through Nova's own API:
 * - Nova answering 503 while the migration runs: the campaign completes.
 * - A server deleted while its host is drained: its move fails as impossible, naming it,
 *   and the host is brought back to service unpatched (deferred), never rebooted.
 * - The source compute crashing while the migration runs: Nova itself ends the migration
 *   in `error`; the engine reports it, moves the server to another host, then reboots.
 * - Nova refusing the plan's target (an anti-affinity peer booted there after planning):
 *   the refusal, with Nova's reason, reaches the engine, which moves the server elsewhere
 *   once and keeps the group apart.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Conflict } from '../../src/core/errors.js';
import { wallClock } from '../../src/drivers/libvirt/index.js';
import { createNovaPlatform, type NovaPlatform } from '../../src/drivers/openstack/index.js';
import type { StoreEvent } from '../../src/store/index.js';
import {
  adminSession,
  novaComputeServices,
  novaLiveMigrations,
  novaServerGroups,
  novaServers,
  waitActive,
  waitDeleted,
  type Admin,
} from './support/admin.js';
import { CLOUD_FILE, requireCloud } from './support/cloud.js';
import { crashSourceWhenRunning, releaseCrashed, type Crash } from './support/crash.js';
import { runEndToEnd } from './support/end-to-end.js';
import { cloudPlatform } from './support/driver.js';
import { restoreLab } from './support/restore.js';
import { readFileSync } from 'node:fs';

const HOST = 'fake-compute-4';

describe('faults during a campaign on nova', () => {
  const booted: string[] = [];
  const groups: string[] = [];
  const crashes: Crash[] = [];
  let admin: Admin;

  const boot = async (name: string, where: { host?: string; group?: string } = {}) => {
    const { flavor, image } = JSON.parse(readFileSync(CLOUD_FILE, 'utf8')) as {
      flavor: string;
      image: string;
    };
    const { server } = (await admin.nova('POST', '/servers', {
      server: { name, flavorRef: flavor, imageRef: image, networks: 'none', host: where.host ?? HOST },
      ...(where.group !== undefined && { 'os:scheduler_hints': { group: where.group } }),
    })) as { server: { id: string } };
    booted.push(server.id);
    await waitActive(admin, server.id);
    return server.id;
  };

  const antiAffinityGroup = async (name: string) => {
    const { server_group } = (await admin.nova('POST', '/os-server-groups', {
      server_group: { name, policy: 'anti-affinity' },
    })) as { server_group: { id: string } };
    groups.push(server_group.id);
    return server_group.id;
  };

  const wholeCloud = async () => {
    expect((await novaComputeServices(admin)).filter((s) => s.status !== 'enabled')).toEqual([]);
    const servers = await novaServers(admin);
    expect(servers.filter((s) => s.status !== 'ACTIVE' || s['OS-EXT-STS:task_state'])).toEqual([]);
    return servers;
  };

  /** The host's last state change as the engine recorded it. */
  const lastHostState = (events: StoreEvent[], host: string) =>
    events.filter((e) => e.kind === 'host-state' && e.host === host).at(-1);

  afterEach(async () => {
    for (const id of booted.splice(0)) {
      await admin.nova('DELETE', `/servers/${id}`).catch(() => undefined);
      await waitDeleted(admin, id);
    }
    for (const id of groups.splice(0)) await admin.nova('DELETE', `/os-server-groups/${id}`);
    for (const crash of crashes.splice(0)) await releaseCrashed(admin, crash);
  });

  afterAll(async () => {
    const cloud = requireCloud();
    await restoreLab(cloudPlatform(cloud), cloud.servers, cloud.computes);
  });

  it('rides out 503s from nova while a migration runs', async () => {
    const cloud = requireCloud();
    admin = await adminSession(cloud);
    const guest = await boot('fault-503');
    let injected = 0;
    let polls = 0;
    // A real Nova behind a fetch that fails some of the migration polls the way a proxy in front of nova-api does.
    const flaky: typeof fetch = async (input, init) => {
      const url = String(input);
      if (url.includes(`/os-migrations?instance_uuid=${guest}`) && ++polls % 3 === 2) {
        injected++;
        return new Response('<html><body><h1>503 Service Unavailable</h1></body></html>', { status: 503 });
      }
      return fetch(input, init);
    };
    const platform = createNovaPlatform({
      auth: cloud.auth,
      clock: wallClock,
      fetch: flaky,
      pollIntervalMs: 200,
    });

    const result = await runEndToEnd(cloud, { platform, patch: [HOST] });
    expect(injected).toBeGreaterThan(0);
    expect(result.outcome.state).toBe('completed');
    expect(result.patchedHosts).toEqual([HOST]);
    const servers = await wholeCloud();
    expect(servers.find((s) => s.id === guest)?.['OS-EXT-SRV-ATTR:host']).not.toBe(HOST);
  }, 600_000);

  it('fails the move of a server deleted while its host is drained, and brings the host back unpatched', async () => {
    const cloud = requireCloud();
    admin = await adminSession(cloud);
    const kept = await boot('fault-kept');
    const gone = await boot('fault-deleted');
    let deleted = false;
    // The real Nova: the server is deleted the moment the engine has taken its host out of
    // scheduling, before any of the host's moves, and the engine goes on once Nova says 404.
    const deleting: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const disabling =
        init?.method === 'PUT' &&
        String(input).includes('/os-services/') &&
        /"disabled"/.test(String(init.body));
      if (disabling && !deleted) {
        deleted = true;
        await admin.nova('DELETE', `/servers/${gone}`);
        await waitDeleted(admin, gone);
      }
      return response;
    };
    const platform = createNovaPlatform({
      auth: cloud.auth,
      clock: wallClock,
      fetch: deleting,
      pollIntervalMs: 200,
    });

    const result = await runEndToEnd(cloud, { platform, patch: [HOST] });
    expect(deleted).toBe(true);
    const gonesMove = result.actions.find((a) => a.kind === 'migrate' && a.guest === gone)!;
    const why = `guest ${gone} no longer exists on the platform`;
    expect(gonesMove).toMatchObject({ state: 'failed', detail: { reason: why } });
    expect(result.outcome).toMatchObject({ state: 'completed' });
    expect(result.outcome.blocked).toBeUndefined();
    expect(lastHostState(result.events, HOST)).toMatchObject({
      data: { to: 'deferred' },
      reason: `brought back to service: action ${gonesMove.seq} (migrate) failed: ${why}`,
    });
    // Brought back, never rebooted: the reboot was skipped and an appended enable put it back.
    expect(result.actions.filter((a) => a.kind === 'reboot').map((a) => a.state)).toEqual(['skipped']);
    expect(result.actions.filter((a) => a.kind === 'enable' && a.state === 'succeeded')).toHaveLength(1);
    expect(result.patchedHosts).toEqual([]);
    const servers = await wholeCloud();
    expect(servers.map((s) => s.id)).not.toContain(gone);
    expect(servers.map((s) => s.id)).toContain(kept);
  }, 600_000);

  it('reports a migration nova ends in error when its source crashes, moves the server elsewhere, then reboots', async () => {
    const cloud = requireCloud();
    admin = await adminSession(cloud);
    const guest = await boot('fault-crash');
    let crash: Promise<Crash> | undefined;

    const result = await runEndToEnd(cloud, {
      patch: [HOST],
      beforeRun: async () => {
        crash = crashSourceWhenRunning(admin, guest, HOST);
        // Awaited below; not an unhandled rejection while the campaign runs.
        crash.catch(() => undefined);
      },
    });
    crashes.push(await crash!);
    const { migration, target } = crashes[0]!;

    // Nova's own records: the crashed migration ended in error, a second one completed elsewhere.
    const records = await novaLiveMigrations(admin, guest);
    expect(records.find((m) => m.id === migration)).toMatchObject({ status: 'error', dest_compute: target });
    const completed = records.filter((m) => m.status === 'completed');
    expect(completed).toHaveLength(1);
    const landed = completed[0]!.dest_compute!;
    expect([target, HOST]).not.toContain(landed);

    // The engine's record: the failure with Nova's status, then the move to another host.
    const failures = result.events.filter((e) => e.kind === 'migration-failed');
    expect(failures).toHaveLength(1);
    // No step of Nova's failed: the source's restart aborted the migration it found running.
    expect(failures[0]!.reason).toMatch(
      new RegExp(
        `^migration to ${target} ended failed: migration ${migration} ended 'error'; ` +
          `no step failed, the last was compute_live_migration_abort on ${HOST} \\(request req-[0-9a-f-]{36}\\)$`,
      ),
    );
    const move = result.actions.find((a) => a.kind === 'migrate' && a.guest === guest)!;
    expect(move).toMatchObject({ state: 'succeeded', detail: { on: landed, moved: true, tried: [target] } });

    // Rebooted only once the server had left it (Nova's completion before the reboot began).
    const reboot = result.actions.find((a) => a.kind === 'reboot')!;
    expect(reboot.state).toBe('succeeded');
    expect(reboot.startedAt!).toBeGreaterThanOrEqual(move.endedAt!);
    expect(Date.parse(`${completed[0]!.updated_at}Z`)).toBeLessThanOrEqual(reboot.startedAt!);
    expect(result.outcome.state).toBe('completed');
    expect(result.patchedHosts).toEqual([HOST]);
    const servers = await wholeCloud();
    expect(servers.find((s) => s.id === guest)?.['OS-EXT-SRV-ATTR:host']).toBe(landed);
  }, 600_000);

  it('takes nova’s refusal of a target that breaks anti-affinity, moves the server elsewhere once and keeps the group apart', async () => {
    const cloud = requireCloud();
    admin = await adminSession(cloud);
    const group = await antiAffinityGroup('fault-spread');
    const guest = await boot('fault-spread-moved', { group });
    let planned: string | undefined;
    let peer: string | undefined;
    // The real driver, with every refusal it hands the engine kept for the test to read.
    const refusals: unknown[] = [];
    const nova = cloudPlatform(cloud);
    const platform: NovaPlatform = {
      ...nova,
      liveMigrate: (server, targetHost) =>
        nova.liveMigrate(server, targetHost).catch((error: unknown) => {
          refusals.push(error);
          throw error;
        }),
    };

    const result = await runEndToEnd(cloud, {
      platform,
      patch: [HOST],
      // A peer of the group booted on the plan's target after planning: Nova must refuse that target.
      beforeRun: async (plan) => {
        planned = plan.actions.find((a) => a.kind === 'migrate' && a.guest === guest)?.to;
        expect(planned).toBeDefined();
        peer = await boot('fault-spread-peer', { host: planned!, group });
      },
    });

    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toBeInstanceOf(Conflict);
    expect((refusals[0] as Error).message).toMatch(
      new RegExp(
        `^nova refused to live-migrate server '${guest}' to '${planned}': migration \\d+ ended 'error': ` +
          'conductor_live_migrate_instance: No valid host was found\\.',
      ),
    );
    // The refusal and Nova's reason are in the audit trail, though nothing moved.
    const refused = result.events.filter((e) => e.kind === 'migration-refused');
    expect(refused.map((e) => [e.guest, e.data.target])).toEqual([[guest, planned]]);
    expect(refused[0]!.reason).toMatch(/No valid host was found/);
    const records = await novaLiveMigrations(admin, guest);
    expect(records.map((m) => [m.status, m.dest_compute])).toEqual([
      // Refused by the scheduler: the record never got a destination.
      ['error', null],
      ['completed', expect.not.stringMatching(new RegExp(`^(${planned}|${HOST})$`))],
    ]);
    const landed = records[1]!.dest_compute!;
    const move = result.actions.find((a) => a.kind === 'migrate' && a.guest === guest)!;
    expect(move).toMatchObject({ state: 'succeeded', detail: { on: landed, moved: true, tried: [planned] } });
    expect(result.outcome.state).toBe('completed');
    expect(result.patchedHosts).toEqual([HOST]);

    const servers = await wholeCloud();
    const hostOf = new Map(servers.map((s) => [s.id, s['OS-EXT-SRV-ATTR:host']]));
    const members = (await novaServerGroups(admin)).find((g) => g.id === group)!.members;
    expect(members.sort()).toEqual([guest, peer!].sort());
    expect(members.map((m) => hostOf.get(m)).sort()).toEqual([landed, planned].sort());
  }, 600_000);
});
