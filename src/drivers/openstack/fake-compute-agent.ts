/**
 * The HostAgent port for the fake computes of the Nova lab (openstack/up): a fake compute
 * is one nova-compute process, so its "boot" is that process (its boot id the PID and start
 * time), a reboot stops and starts it (openstack/compute) and waits until Nova hears from the
 * new process, and "installing" records the versions in a state file per host, with the
 * previous ones kept for a rollback. There is no kernel to live patch.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { Conflict, NotFound, Unavailable } from '../../core/errors.js';
import type { InstalledPackage } from '../../core/model/index.js';
import type { Clock, HealthReport, HostAgent, PackageRef } from '../../core/ports.js';
import type { NovaPlatform } from './platform.js';

const run = promisify(execFile);

/** The one daemon of a fake compute; restarting it is restarting the whole "host". */
export const FAKE_COMPUTE_DAEMON = 'nova-compute';

export interface FakeComputeAgentOptions {
  /** The fake computes' host names (cloud.json's `computes`). */
  hosts: readonly string[];
  /** The openstack/ folder: its `compute` script and `.state/pids`. */
  labDir: string;
  /** Where the installed versions are recorded, one JSON file per host. */
  stateDir: string;
  /** What every fake compute has installed before its first install. */
  baseline: readonly PackageRef[];
  nova: Pick<NovaPlatform, 'heartbeat' | 'listGuests'>;
  clock: Clock;
  /** How long a restarted compute may take to report to Nova again. */
  rebootTimeoutMs?: number;
  pollIntervalMs?: number;
}

const Packages = z.array(z.object({ name: z.string(), version: z.string(), source: z.string().optional() }));
const HostRecord = z.object({
  installed: Packages,
  /** Before the last install, for rollback; absent when there is nothing to roll back. */
  previous: Packages.optional(),
  /** Sources installed while this boot ran: they take effect at the next one. */
  pending: z.object({ bootId: z.string(), sources: z.array(z.string()) }).optional(),
});
type HostRecord = z.infer<typeof HostRecord>;

export function createFakeComputeAgent(options: FakeComputeAgentOptions): HostAgent {
  const { clock, nova } = options;
  const rebootTimeoutMs = options.rebootTimeoutMs ?? 120_000;
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const script = join(options.labDir, 'compute');

  const known = (host: string) => {
    if (!options.hosts.includes(host)) throw new NotFound(`no fake compute '${host}' in the Nova lab`);
  };

  const recordFile = (host: string) => join(options.stateDir, `${host}.json`);
  const readRecord = async (host: string): Promise<HostRecord> => {
    known(host);
    let text: string;
    try {
      text = await readFile(recordFile(host), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { installed: [...options.baseline] };
      throw error;
    }
    return HostRecord.parse(JSON.parse(text));
  };
  const writeRecord = async (host: string, record: HostRecord) => {
    await mkdir(options.stateDir, { recursive: true });
    const file = recordFile(host);
    await writeFile(`${file}.tmp`, JSON.stringify(record, null, 2));
    await rename(`${file}.tmp`, file);
  };

  const compute = async (action: 'stop' | 'start' | 'pid', host: string): Promise<string> => {
    try {
      return (await run('bash', [script, action, host])).stdout.trim();
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
      if (action === 'pid') {
        throw new Unavailable(`fake compute '${host}': nova-compute is not running (${stderr})`, {
          cause: error,
        });
      }
      throw new Unavailable(`fake compute '${host}': openstack/compute ${action} failed: ${stderr}`, {
        cause: error,
      });
    }
  };

  /** The process's PID and start time (clock ticks since boot): new at every restart. */
  const bootId = async (host: string): Promise<string> => {
    known(host);
    const pid = await compute('pid', host);
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // Field 22, counted after the command name, which may hold spaces and is in parentheses.
      const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      return `${pid}.${started}`;
    } catch (error) {
      throw new Unavailable(`fake compute '${host}': nova-compute (pid ${pid}) just exited`, {
        cause: error,
      });
    }
  };

  const health = async (host: string): Promise<HealthReport> => {
    const id = await bootId(host);
    const beat = await nova.heartbeat(host);
    return {
      healthy: beat.up,
      bootId: id,
      checks: [
        { name: 'nova-compute process', ok: true },
        {
          name: 'nova-compute reports to nova',
          ok: beat.up,
          ...(!beat.up && { detail: 'nova counts the service down (no recent heartbeat)' }),
        },
      ],
    };
  };

  /** Stop and start the process, then wait until Nova has a heartbeat from the new one. */
  const restart = async (host: string, why: string) => {
    const previousBootId = await bootId(host);
    const servers = await nova.listGuests(host);
    if (servers.length > 0) {
      throw new Conflict(
        `fake compute '${host}' still holds servers ${servers.map((s) => s.guest).join(', ')}: the fake virt driver would lose them on ${why}`,
      );
    }
    await compute('stop', host);
    const startedAt = clock.now();
    await compute('start', host);
    const deadline = startedAt + rebootTimeoutMs;
    for (;;) {
      const beat = await nova.heartbeat(host);
      if (beat.up && beat.reportedAt !== undefined && beat.reportedAt >= startedAt) break;
      if (clock.now() >= deadline) {
        throw new Unavailable(
          `fake compute '${host}' was restarted but has not reported to nova within ${rebootTimeoutMs} ms`,
        );
      }
      await clock.sleep(pollIntervalMs);
    }
    return { previousBootId, bootId: await bootId(host) };
  };

  return {
    async installedPackages(host) {
      return (await readRecord(host)).installed.map((p): InstalledPackage => ({
        name: p.name,
        version: p.version,
        ...(p.source && { source: p.source }),
      }));
    },

    async runningVersions(host) {
      const [record, id] = await Promise.all([readRecord(host), bootId(host)]);
      const waiting = record.pending?.bootId === id ? record.pending.sources : [];
      return {
        bootId: id,
        livePatches: [],
        qemuByGuest: {},
        daemons: [{ name: FAKE_COMPUTE_DAEMON, mapsDeletedFrom: waiting }],
      };
    },

    async installPackages(host, packages) {
      const [record, id] = await Promise.all([readRecord(host), bootId(host)]);
      const installed = new Map(record.installed.map((p) => [p.name, p]));
      for (const p of packages) installed.set(p.name, { ...installed.get(p.name), ...p });
      const sources = new Set(record.pending?.bootId === id ? record.pending.sources : []);
      for (const p of packages) sources.add(p.source ?? p.name);
      await writeRecord(host, {
        installed: [...installed.values()],
        previous: record.installed,
        pending: { bootId: id, sources: [...sources] },
      });
    },

    async applyLivePatch(host) {
      known(host);
      throw new Conflict(`fake compute '${host}' has no kernel and no live-patch client`);
    },

    async restartDaemon(host, name) {
      known(host);
      if (name !== FAKE_COMPUTE_DAEMON) throw new NotFound(`fake compute '${host}' runs no daemon '${name}'`);
      await restart(host, `a restart of ${name}`);
    },

    async reboot(host) {
      return restart(host, 'a reboot');
    },

    health,

    async rollback(host) {
      const record = await readRecord(host);
      if (record.previous === undefined)
        throw new Conflict(`fake compute '${host}': no install to roll back`);
      await writeRecord(host, { installed: record.previous });
    },
  };
}
