import { Conflict, NotFound, TimedOut } from '../../core/errors.js';
import type { Clock, MigrationId, MigrationPhase, MigrationStatus } from '../../core/ports.js';
import type { Domain, LibvirtHost } from './inventory.js';
import { decodeMigrationId, encodeMigrationId, type MigrationKey } from './migration-id.js';
import { parseDomjobinfo, type JobInfo } from './parse.js';
import type { ProcessResult, RunningProcess } from './process.js';
import { cleanMessage, isNoActiveJob, type Virsh } from './virsh.js';

export interface Migration {
  id: MigrationId;
  key: MigrationKey;
  memoryMiB: number;
  vcpus: number;
  /** The `virsh migrate` client, when this driver started the migration. */
  process?: RunningProcess;
  last?: JobInfo;
  final?: MigrationStatus;
  /** Our `domjobabort` for it is under way or was accepted. */
  abortRequested?: boolean;
}

export interface MigrationContext {
  virsh: Virsh;
  host(id: string): LibvirtHost;
  clock: Clock;
  pollIntervalMs: number;
  /** How long an abort keeps trying while libvirt has not begun the job yet. */
  abortRetryMs: number;
  /** Cap on each migration's bandwidth in MiB/s (libvirt's `--bandwidth`), to spare the network. */
  bandwidthMiBps?: number;
  /** Where the guest's domain is now, ignoring migrations: undefined when no host has it. */
  place(guest: string): Promise<Domain | undefined>;
}

/**
 * Live migrations by `virsh migrate --live --p2p`: the source libvirtd drives the copy and
 * the `virsh` client waits for it, so the client's exit is the outcome, `domjobinfo` on the
 * source is the progress, and `domjobinfo --completed` on the destination is the final
 * account (with QEMU's measured downtime). Migrations this driver did not start, or started
 * before a restart, are found again from their id.
 */
export function createMigrations(ctx: MigrationContext) {
  const known = new Map<MigrationId, Migration>();

  function start(key: MigrationKey, sizing: { memoryMiB: number; vcpus: number }): Migration {
    const id = encodeMigrationId(key);
    const process = ctx.virsh.start(ctx.host(key.source).uri, [
      'migrate',
      '--live',
      '--p2p',
      '--persistent',
      '--undefinesource',
      '--domain',
      key.guest,
      '--desturi',
      ctx.host(key.target).uri,
      ...(ctx.bandwidthMiBps !== undefined ? ['--bandwidth', String(ctx.bandwidthMiBps)] : []),
    ]);
    const migration: Migration = { id, key, ...sizing, process };
    known.set(id, migration);
    void process.done.then((result) => finish(migration, result, ctx.clock.now()));
    return migration;
  }

  async function finish(migration: Migration, result: ProcessResult, endedAt: number): Promise<void> {
    const { key } = migration;
    if (result.code === 0) {
      const account = await completedJob(key.target, key.guest);
      settle(migration, 'completed', endedAt, account);
      return;
    }
    const said = cleanMessage(result.stderr) || `virsh migrate ended with ${result.code ?? result.signal}`;
    const phase = failurePhase(said);
    // Once libvirt accepted the abort, the job ends through cancelling even when a broken
    // connection is what libvirt reports (the p2p link to a capped destination, say).
    if (phase === 'failed' && migration.abortRequested) {
      settle(migration, 'aborted', endedAt, migration.last, `aborted on request; libvirt said: ${said}`);
      return;
    }
    settle(migration, phase, endedAt, migration.last, said);
  }

  function settle(
    migration: Migration,
    phase: MigrationPhase,
    endedAt: number,
    job: JobInfo | undefined,
    reason?: string,
  ): void {
    const { key } = migration;
    const elapsed = job?.elapsedMs;
    migration.final = {
      ...base(migration),
      phase,
      finished: true,
      ...(elapsed !== undefined && { startedAt: Math.max(key.requestedAt, endedAt - elapsed) }),
      endedAt: Math.max(endedAt, key.requestedAt),
      round: Math.max(0, (job?.iteration ?? 1) - 1),
      transferredMiB: job?.processedMiB ?? 0,
      remainingMiB: phase === 'completed' ? 0 : (job?.remainingMiB ?? 0),
      throttlePercent: job?.throttlePercent ?? 0,
      ...(phase === 'completed' && job?.downtimeMs !== undefined && { downtimeMs: job.downtimeMs }),
      ...(reason !== undefined && { reason }),
    };
  }

  function base(migration: Migration) {
    const { key } = migration;
    return {
      id: migration.id,
      guest: key.guest,
      source: key.source,
      target: key.target,
      requestedAt: key.requestedAt,
    };
  }

  async function completedJob(host: string, guest: string): Promise<JobInfo | undefined> {
    try {
      const text = await ctx.virsh.run(ctx.host(host).uri, [
        'domjobinfo',
        '--completed',
        '--keep-completed',
        '--domain',
        guest,
      ]);
      const job = parseDomjobinfo(text);
      return job.type === 'Completed' ? job : undefined;
    } catch {
      return undefined;
    }
  }

  /** Progress of a migration still under way, from the source's job. */
  async function activeJob(migration: Migration): Promise<JobInfo | undefined> {
    const { key } = migration;
    try {
      const job = parseDomjobinfo(
        await ctx.virsh.run(ctx.host(key.source).uri, ['domjobinfo', '--domain', key.guest]),
      );
      return job.type !== 'None' && /migration/i.test(job.operation ?? 'migration') ? job : undefined;
    } catch {
      return undefined;
    }
  }

  async function find(id: MigrationId): Promise<Migration> {
    const migration = known.get(id);
    if (migration) return migration;
    const key = decodeMigrationId(id);
    if (!key) throw new NotFound(`no migration '${id}'`);
    for (const host of [key.source, key.target]) {
      try {
        ctx.host(host);
      } catch {
        throw new NotFound(`no migration '${id}': it names an unknown host '${host}'`);
      }
    }
    const found: Migration = { id, key, memoryMiB: 0, vcpus: 0 };
    // Not started by this driver (or before it restarted): libvirt is the only witness.
    if (!(await activeJob(found))) {
      const settled = await settleByPlace(found);
      if (!settled) throw new NotFound(`no migration '${id}': guest '${key.guest}' is on no host`);
    }
    known.set(id, found);
    return found;
  }

  /** The outcome of a migration nobody watched end: where the guest is now says it. */
  async function settleByPlace(migration: Migration): Promise<boolean> {
    const { key } = migration;
    const where = await ctx.place(key.guest);
    if (!where) return false;
    const now = ctx.clock.now();
    if (where.host === key.target) {
      settle(migration, 'completed', now, await completedJob(key.target, key.guest));
    } else {
      settle(
        migration,
        'failed',
        now,
        migration.last,
        `it ended while this driver was not watching; the guest is on '${where.host}'`,
      );
    }
    return true;
  }

  async function status(id: MigrationId): Promise<MigrationStatus> {
    const migration = await find(id);
    if (migration.final) return migration.final;
    const job = await activeJob(migration);
    if (job) migration.last = job;
    if (!job && !migration.process) {
      await settleByPlace(migration);
      if (migration.final) return migration.final;
    }
    // No job yet: libvirt is still connecting to the destination. No job any more while the
    // client still runs: the domain is switching over and being handed to the destination.
    const phase: MigrationPhase = job ? 'precopy' : migration.last ? 'switchover' : 'queued';
    const elapsed = job?.elapsedMs;
    return {
      ...base(migration),
      phase,
      finished: false,
      ...(elapsed !== undefined && {
        startedAt: Math.max(migration.key.requestedAt, ctx.clock.now() - elapsed),
      }),
      round: Math.max(0, (migration.last?.iteration ?? 1) - 1),
      transferredMiB: migration.last?.processedMiB ?? 0,
      remainingMiB: migration.last?.remainingMiB ?? migration.memoryMiB,
      throttlePercent: migration.last?.throttlePercent ?? 0,
    };
  }

  async function wait(id: MigrationId, timeoutMs?: number): Promise<MigrationStatus> {
    const migration = await find(id);
    const deadline = timeoutMs === undefined ? Infinity : ctx.clock.now() + timeoutMs;
    for (;;) {
      // A watched migration ends when its client does; only an unwatched one needs libvirt polled.
      const current = migration.process ? migration.final : await status(id);
      if (current?.finished) return current;
      const left = deadline - ctx.clock.now();
      if (left <= 0) {
        throw new TimedOut(`migration '${id}' still under way after waiting ${timeoutMs} ms`);
      }
      await ctx.clock.sleep(Math.min(ctx.pollIntervalMs, left));
    }
  }

  async function abort(id: MigrationId): Promise<void> {
    const migration = await find(id);
    const refuse = () =>
      new Conflict(`migration '${id}' has already ended (${migration.final!.phase}); nothing to abort`);
    if (migration.final) throw refuse();
    const { key } = migration;
    const deadline = ctx.clock.now() + ctx.abortRetryMs;
    for (;;) {
      try {
        // Set before asking: the client may exit before `domjobabort` itself returns.
        migration.abortRequested = true;
        await ctx.virsh.run(ctx.host(key.source).uri, ['domjobabort', '--domain', key.guest]);
        return;
      } catch (error) {
        migration.abortRequested = false;
        // The client may have ended while we were asking: read the outcome afresh.
        const ended = outcome(migration);
        if (ended?.phase === 'aborted') return;
        if (ended) throw refuse();
        // Between `virsh migrate` starting and libvirt opening the job there is nothing to
        // abort yet; once the job is gone the switch-over is under way and it is too late.
        const notYet = isNoActiveJob(error) && migration.last === undefined;
        if (!notYet || ctx.clock.now() >= deadline) {
          if (isNoActiveJob(error)) {
            throw new Conflict(`migration '${id}' is switching over or ending; too late to abort`, {
              cause: error,
            });
          }
          throw error;
        }
        await ctx.clock.sleep(50);
      }
    }
  }

  function outcome(migration: Migration): MigrationStatus | undefined {
    return migration.final;
  }

  function inFlight(): Migration[] {
    return [...known.values()].filter((m) => !m.final);
  }

  return { start, status, wait, abort, inFlight, find };
}

export type Migrations = ReturnType<typeof createMigrations>;

/** libvirt says "canceled by client" whoever cancelled: an abort, by us or by an operator's domjobabort. */
function failurePhase(said: string): MigrationPhase {
  if (/canceled by client|operation aborted|migration.*cancel/i.test(said)) return 'aborted';
  if (/timeout|timed out/i.test(said)) return 'timed-out';
  return 'failed';
}
