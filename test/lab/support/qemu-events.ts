/**
 * QEMU's own account of each live migration, from the source QEMU's QMP events as libvirt
 * relays them (`virsh qemu-monitor-event --loop --timestamp`, stamped by QEMU itself).
 *
 * libvirt's job time for a `--p2p` migration also counts starting the destination QEMU
 * (≈ 0.4–0.9 s under TCG on this machine), which the pre-copy model does not describe;
 * QEMU's events bracket exactly what the model predicts: the migration from `setup` to
 * `completed` (QEMU's `total-time`), and the stop-and-copy from the guest's `STOP` to
 * `completed` (QEMU's `downtime` on the source).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { LabState } from './lab.js';

export interface MonitorEvent {
  /** QEMU's timestamp, epoch ms. */
  at: number;
  event: string;
  guest: string;
  /** MIGRATION's `status`, when the event is MIGRATION. */
  status?: string;
}

export interface QemuMigration {
  guest: string;
  /** The host whose QEMU reported it. */
  host: string;
  /** The source QEMU sends (its passes and the guest's stop show it); the destination's only receives. */
  role: 'source' | 'destination';
  /** Epoch ms of the `setup` event: QEMU began the migration. */
  startedAt: number;
  /** Epoch ms of the final status event. */
  endedAt: number;
  outcome: 'completed' | 'failed' | 'cancelled';
  /** QEMU's migration time, setup → final status. */
  totalMs: number;
  /** Source-side stop-and-copy, the guest's STOP → completed (absent unless completed). */
  stopCopyMs?: number;
  /** Pre-copy passes QEMU started (MIGRATION_PASS), the last being the stop-and-copy. */
  passes: number;
}

const LINE = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})\+0000: event (\S+) for domain '([^']+)': (.*)$/;

/** One line of `virsh qemu-monitor-event --timestamp`; undefined for anything else. */
export function parseMonitorEvent(line: string): MonitorEvent | undefined {
  const match = LINE.exec(line.trim());
  if (!match) return undefined;
  const [, day, time, event, guest, data] = match;
  const at = Date.parse(`${day}T${time}Z`);
  let status: string | undefined;
  if (event === 'MIGRATION') {
    try {
      status = (JSON.parse(data!) as { status?: string }).status;
    } catch {
      return undefined;
    }
  }
  return { at, event: event!, guest: guest!, ...(status !== undefined && { status }) };
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/** Folds one host's events into its migrations, in the order they began. */
export function migrationsFromEvents(host: string, events: readonly MonitorEvent[]): QemuMigration[] {
  const open = new Map<string, { startedAt: number; stoppedAt?: number; passes: number }>();
  const done: QemuMigration[] = [];
  for (const e of events) {
    const current = open.get(e.guest);
    if (e.event === 'MIGRATION' && e.status === 'setup') {
      open.set(e.guest, { startedAt: e.at, passes: 0 });
    } else if (!current) {
      continue;
    } else if (e.event === 'MIGRATION_PASS') {
      current.passes++;
    } else if (e.event === 'STOP') {
      current.stoppedAt = e.at;
    } else if (e.event === 'RESUME') {
      // A failed or cancelled switch-over resumes the guest on the source.
      delete current.stoppedAt;
    } else if (e.event === 'MIGRATION' && e.status !== undefined && FINAL.has(e.status)) {
      open.delete(e.guest);
      const outcome = e.status as QemuMigration['outcome'];
      done.push({
        guest: e.guest,
        host,
        role: current.passes > 0 || current.stoppedAt !== undefined ? 'source' : 'destination',
        startedAt: current.startedAt,
        endedAt: e.at,
        outcome,
        totalMs: e.at - current.startedAt,
        ...(outcome === 'completed' &&
          current.stoppedAt !== undefined && { stopCopyMs: e.at - current.stoppedAt }),
        passes: current.passes,
      });
    }
  }
  return done.sort((a, b) => a.startedAt - b.startedAt);
}

/**
 * Listens to every domain's QMP events on each lab host until stopped. The listeners
 * connect within a second; `ready` waits that long so that no migration starts unheard.
 */
export function watchQemuEvents(lab: LabState, hosts = lab.hosts.map((h) => h.id)) {
  const listeners = hosts.map((id) => {
    const host = lab.hosts.find((h) => h.id === id)!;
    const child = spawn(
      lab.commands.controllerExec[0]!,
      [
        ...lab.commands.controllerExec.slice(1),
        'virsh',
        '-q',
        '--connect',
        host.libvirtUri,
        'qemu-monitor-event',
        '--loop',
        '--timestamp',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const events: MonitorEvent[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      const event = parseMonitorEvent(line);
      if (event) events.push(event);
    });
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
    return { id, child, events, closed };
  });
  return {
    ready: () => new Promise((resolve) => setTimeout(resolve, 1_000)),
    /** QEMU's migrations heard so far, every source host's, in the order they began. */
    migrations(): QemuMigration[] {
      return listeners
        .flatMap((l) => migrationsFromEvents(l.id, l.events))
        .sort((a, b) => a.startedAt - b.startedAt);
    },
    async stop(): Promise<void> {
      for (const l of listeners) l.child.kill('SIGTERM');
      await Promise.all(listeners.map((l) => l.closed));
    },
  };
}

/** The source QEMU's account of a migration libvirt reported: same guest and source, begun within it. */
export function qemuAccountOf(
  heard: readonly QemuMigration[],
  status: { guest: string; source: string; requestedAt: number; endedAt?: number },
): QemuMigration | undefined {
  // QEMU stamps its events in whole milliseconds, on the same machine clock as the driver.
  const from = status.requestedAt - 1;
  const to = status.endedAt ?? Infinity;
  return heard.find(
    (m) =>
      m.role === 'source' &&
      m.guest === status.guest &&
      m.host === status.source &&
      m.startedAt >= from &&
      m.startedAt <= to,
  );
}
