import ssh2 from 'ssh2';
import { z } from 'zod';
import { BadInput, Conflict, NotFound, Unavailable } from '../../core/errors.js';
import type { RunningKernel } from '../../core/model/index.js';
import type { Clock, HealthCheck, HostAgent, RunningDaemon } from '../../core/ports.js';
import { parseQueryVersion } from '../libvirt/parse.js';
import {
  aptRestoreCommand,
  aptUpdateCommand,
  aptUpgradeCommand,
  aptVersionsCommand,
  installedPackagesCommand,
  kernelPackageCommand,
  packagesOwningCommand,
  procScanCommand,
  queryVersionCommand,
  readFileCommand,
  removeFileCommand,
  TRANSACTION_FILE,
  unameCommand,
  writeFileCommand,
} from './commands.js';
import { checkPackageRefs, isPackageName, withRebuilds } from './debian.js';
import { FINGERPRINT } from './host-key.js';
import {
  guestNameOf,
  parseInstalled,
  parseMadison,
  parseOwners,
  parseProcScan,
  parseRelease,
  parseRunningKernel,
  type ScannedProcess,
} from './parse.js';
import { createSshPool, type ExecResult, type SshTarget } from './ssh.js';
import { diffInstalled, Transaction } from './transaction.js';

const Argv = z.array(z.string().min(1)).min(1);

const HostConfig = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'is not a host id'),
  address: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().regex(/^[a-z_][a-z0-9_.-]*$/, 'is not a user name'),
  privateKey: z
    .union([z.string().min(1), z.instanceof(Buffer)])
    .refine(
      (key) => !(ssh2.utils.parseKey(key) instanceof Error),
      'is not a private key ssh2 can read (unencrypted OpenSSH or PEM)',
    ),
  hostKeySha256: z.string().regex(FINGERPRINT, 'is not a SHA256:… fingerprint as ssh-keygen -l prints it'),
  proxyCommand: Argv.optional(),
  /** How the host reboots; it may cut the connection that sent it. */
  rebootCommand: Argv.default(['systemctl', 'reboot']),
  /** Prints an id that changes at every boot. */
  bootIdCommand: Argv.default(['cat', '/proc/sys/kernel/random/boot_id']),
  /** Prints `release=`, `version=` and `source=` lines; by default `uname -r` and the matching linux-image package. */
  runningKernelCommand: Argv.optional(),
  daemons: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9._@-]+$/, 'is not a daemon name'),
        /** Its process name (`/proc/PID/comm`), when it differs from `name`. */
        process: z
          .string()
          .regex(/^[A-Za-z0-9._@:-]{1,15}$/, 'is not a process name')
          .optional(),
        /** Restarts it and returns once it runs again (`systemctl restart` does). */
        restart: Argv,
      }),
    )
    .default([{ name: 'libvirtd', restart: ['systemctl', 'restart', 'libvirtd'] }]),
  /** Named checks that pass when the command exits 0. */
  healthChecks: z
    .record(z.string(), Argv)
    .default({ libvirtd: ['virsh', '--connect', 'qemu:///system', 'uri'] }),
});
export type SshAptHost = z.input<typeof HostConfig>;
type Host = z.output<typeof HostConfig>;

export interface SshAptOptions {
  hosts: readonly SshAptHost[];
  clock?: Clock;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** For one apt-get run: downloads and unpacking can be slow. */
  installTimeoutMs?: number;
  /** From the reboot command until the host answers with a new boot id. */
  rebootTimeoutMs?: number;
  pollIntervalMs?: number;
  /** Run `apt-get update` first, so that the planned versions are known to apt. */
  refreshBeforeInstall?: boolean;
}

const wallClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** The HostAgent port over SSH (the ssh2 library, host keys pinned) and apt/dpkg on Debian-family hosts. */
export function createSshAptHostAgent(options: SshAptOptions): HostAgent & { close(): void } {
  const hosts = checkHosts(options.hosts);
  const clock = options.clock ?? wallClock;
  const commandTimeoutMs = options.commandTimeoutMs ?? 60_000;
  const installTimeoutMs = options.installTimeoutMs ?? 30 * 60_000;
  const rebootTimeoutMs = options.rebootTimeoutMs ?? 15 * 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const refresh = options.refreshBeforeInstall ?? true;
  const pool = createSshPool({ connectTimeoutMs: options.connectTimeoutMs ?? 15_000 });

  const host = (id: string): Host => {
    const found = hosts.get(id);
    if (!found) throw new NotFound(`no host '${id}' (hosts: ${[...hosts.keys()].join(', ')})`);
    return found;
  };
  const target = (h: Host): SshTarget => ({
    id: h.id,
    address: h.address,
    port: h.port,
    user: h.user,
    privateKey: h.privateKey,
    hostKeySha256: h.hostKeySha256,
    ...(h.proxyCommand && { proxyCommand: h.proxyCommand }),
  });

  const exec = (h: Host, argv: readonly string[], timeoutMs = commandTimeoutMs, stdin?: string) =>
    pool.exec(target(h), argv, { timeoutMs, ...(stdin !== undefined && { stdin }) });

  /** Runs a command that must succeed; its failure means the host is not answering as it should. */
  const output = async (h: Host, argv: readonly string[], timeoutMs?: number): Promise<string> => {
    const result = await exec(h, argv, timeoutMs);
    if (result.code !== 0) throw commandFailed(h, argv, result);
    return result.stdout;
  };

  const installed = async (h: Host) => parseInstalled(await output(h, installedPackagesCommand()));

  /** How long one boot-id probe may take while waiting for a rebooting host. */
  const REBOOT_PROBE_TIMEOUT_MS = Math.min(commandTimeoutMs, 10_000);

  const bootId = async (h: Host, timeoutMs?: number) => {
    const id = (await output(h, h.bootIdCommand, timeoutMs)).trim();
    if (!/^[A-Za-z0-9-]{8,64}$/.test(id))
      throw new Unavailable(`host '${h.id}' reported boot id ${JSON.stringify(id)}`);
    return id;
  };

  const runningKernel = async (h: Host): Promise<RunningKernel | undefined> => {
    if (h.runningKernelCommand) return parseRunningKernel(await output(h, h.runningKernelCommand));
    const release = parseRelease(await output(h, unameCommand()));
    const image = `linux-image-${release}`;
    if (!isPackageName(image)) return undefined;
    const result = await exec(h, kernelPackageCommand(release));
    // A kernel no package installed (built by hand) has no version to match advisories against.
    if (result.code !== 0) return undefined;
    const [version, source] = result.stdout.trim().split('\t');
    return version && source ? { release, version, source } : undefined;
  };

  const scan = async (h: Host): Promise<ScannedProcess[]> =>
    parseProcScan(await output(h, procScanCommand(h.daemons.map((d) => d.process ?? d.name))));

  const owners = async (h: Host, paths: readonly string[]) =>
    paths.length === 0
      ? new Map<string, string[]>()
      : parseOwners((await exec(h, packagesOwningCommand(paths))).stdout);

  const qemuVersions = async (
    h: Host,
    processes: readonly ScannedProcess[],
  ): Promise<Record<string, string>> => {
    const byGuest: Record<string, string> = {};
    const qemus = processes.flatMap((p) => {
      const guest = p.args && guestNameOf(p.args);
      return guest ? [{ guest, process: p }] : [];
    });
    const unanswered: typeof qemus = [];
    await Promise.all(
      qemus.map(async (q) => {
        const result = await exec(h, queryVersionCommand(q.guest));
        try {
          if (result.code !== 0) throw new Error(result.stderr);
          byGuest[q.guest] = parseQueryVersion(result.stdout);
        } catch {
          unanswered.push(q);
        }
      }),
    );
    // QMP did not answer: a binary not replaced since it started is the installed version of its package.
    const intact = unanswered.filter((q) => !q.process.exeDeleted);
    if (intact.length > 0) {
      const owner = await owners(h, [...new Set(intact.map((q) => q.process.exe))]);
      const versions = new Map((await installed(h)).map((p) => [p.name, p.version]));
      for (const q of intact) {
        const version = owner
          .get(q.process.exe)
          ?.map((p) => versions.get(p))
          .find((v) => v !== undefined);
        if (version) byGuest[q.guest] = version;
      }
    }
    return byGuest;
  };

  const daemons = async (h: Host, processes: readonly ScannedProcess[]): Promise<RunningDaemon[]> => {
    const running = h.daemons
      .map((d) => ({ name: d.name, processes: processes.filter((p) => p.comm === (d.process ?? d.name)) }))
      .filter((d) => d.processes.length > 0);
    const files = (d: (typeof running)[number]) =>
      d.processes.flatMap((p) => [...p.deletedMaps, ...(p.exeDeleted ? [p.exe] : [])]);
    const owner = await owners(h, [...new Set(running.flatMap(files))]);
    return running.map((d) => ({
      name: d.name,
      // A deleted file no package owns any more is named by its path.
      mapsDeletedFrom: [...new Set(files(d).flatMap((path) => owner.get(path) ?? [path]))].sort(),
    }));
  };

  const readTransaction = async (h: Host): Promise<Transaction | undefined> => {
    const result = await exec(h, readFileCommand(TRANSACTION_FILE));
    if (result.code === 3) return undefined;
    if (result.code !== 0) throw commandFailed(h, ['cat', TRANSACTION_FILE], result);
    let data: unknown;
    try {
      data = JSON.parse(result.stdout);
    } catch {
      data = undefined;
    }
    const parsed = Transaction.safeParse(data);
    if (!parsed.success) {
      throw new Conflict(
        `${TRANSACTION_FILE} on '${h.id}' is not a transaction record; not rolling back from it`,
      );
    }
    return parsed.data;
  };

  const apt = async (h: Host, argv: readonly string[]) => {
    const result = await exec(h, argv, installTimeoutMs);
    if (result.code !== 0) throw aptFailed(h, argv, result);
  };

  return {
    async installedPackages(hostId) {
      return installed(host(hostId));
    },

    async runningVersions(hostId) {
      const h = host(hostId);
      const [id, kernel, processes] = await Promise.all([bootId(h), runningKernel(h), scan(h)]);
      const [qemuByGuest, daemonList] = await Promise.all([
        qemuVersions(h, processes),
        daemons(h, processes),
      ]);
      return {
        bootId: id,
        ...(kernel && { kernel }),
        livePatches: [],
        qemuByGuest,
        daemons: daemonList,
      };
    },

    async installPackages(hostId, packages) {
      const h = host(hostId);
      checkPackageRefs(packages);
      if (packages.length === 0) return;
      const before = await installed(h);
      if (refresh) await apt(h, aptUpdateCommand());
      const offered = parseMadison(await output(h, aptVersionsCommand(packages.map((p) => p.name))));
      const wanted = withRebuilds(packages, offered);
      const result = await exec(h, aptUpgradeCommand(wanted), installTimeoutMs);
      const after = await installed(h);
      // Recorded even when apt failed half-way: whatever it did change must be undoable.
      const record: Transaction = {
        version: 1,
        at: clock.now(),
        requested: packages.map((p) => ({ name: p.name, version: p.version })),
        changes: diffInstalled(before, after),
      };
      const saved = await exec(
        h,
        writeFileCommand(TRANSACTION_FILE),
        commandTimeoutMs,
        JSON.stringify(record) + '\n',
      );
      if (saved.code !== 0) throw commandFailed(h, ['write', TRANSACTION_FILE], saved);
      if (result.code !== 0) throw aptFailed(h, aptUpgradeCommand(wanted), result);
      const now = new Map(after.map((p) => [p.name, p.version]));
      const wrong = wanted.filter((p) => now.get(p.name) !== p.version);
      if (wrong.length > 0) {
        throw new Conflict(
          `on '${h.id}', apt left ` +
            wrong
              .map((p) =>
                now.has(p.name)
                  ? `${p.name} at ${now.get(p.name)}, not ${p.version}`
                  : `${p.name} not installed (only upgrades are made, nothing new is installed)`,
              )
              .join('; '),
        );
      }
    },

    async applyLivePatch(hostId, patch) {
      host(hostId);
      throw new Conflict(
        `host '${hostId}' has no live-patch client this agent can drive; '${patch.id}' not applied`,
      );
    },

    async restartDaemon(hostId, name) {
      const h = host(hostId);
      const daemon = h.daemons.find((d) => d.name === name);
      if (!daemon) {
        throw new NotFound(
          `no daemon '${name}' on '${h.id}' (known: ${h.daemons.map((d) => d.name).join(', ')})`,
        );
      }
      await output(h, daemon.restart, commandTimeoutMs);
      const deadline = clock.now() + commandTimeoutMs;
      while (!(await scan(h)).some((p) => p.comm === (daemon.process ?? daemon.name))) {
        if (clock.now() >= deadline)
          throw new Unavailable(`'${name}' on '${h.id}' is not running after its restart`);
        await clock.sleep(pollIntervalMs);
      }
    },

    async reboot(hostId) {
      const h = host(hostId);
      const previousBootId = await bootId(h);
      // The command may cut this very connection as the host goes down: not a failure. A
      // command that answered with an error, though, did not reboot anything.
      const asked = await exec(h, h.rebootCommand).catch(() => undefined);
      if (asked && asked.code !== null && asked.code !== 0) throw commandFailed(h, h.rebootCommand, asked);
      pool.drop(h.id);
      const deadline = clock.now() + rebootTimeoutMs;
      let lastError: unknown;
      while (clock.now() < deadline) {
        await clock.sleep(pollIntervalMs);
        try {
          // Short attempts: a connection made while the host goes down can hang until its
          // timeout, and one such hang must not use up the whole wait.
          const current = await bootId(h, REBOOT_PROBE_TIMEOUT_MS);
          if (current !== previousBootId) return { previousBootId, bootId: current };
        } catch (error) {
          lastError = error;
          pool.drop(h.id);
        }
      }
      throw new Unavailable(
        `host '${h.id}' did not come back with a new boot id within ${rebootTimeoutMs / 1000} s`,
        { cause: lastError },
      );
    },

    async health(hostId) {
      const h = host(hostId);
      const id = await bootId(h);
      const checks: HealthCheck[] = [
        { name: 'sshd', ok: true, detail: 'answers over SSH with the pinned host key' },
      ];
      for (const [name, argv] of Object.entries(h.healthChecks)) {
        const result = await exec(h, argv).catch((error: Error) => ({
          code: null,
          stdout: '',
          stderr: error.message,
        }));
        checks.push({
          name,
          ok: result.code === 0,
          ...(result.code !== 0 && { detail: firstLine(result.stderr) || `exit status ${result.code}` }),
        });
      }
      return { healthy: checks.every((c) => c.ok), bootId: id, checks };
    },

    async rollback(hostId) {
      const h = host(hostId);
      const record = await readTransaction(h);
      if (!record) throw new Conflict(`no package transaction to roll back on '${h.id}'`);
      if (record.changes.length > 0) {
        if (refresh) await apt(h, aptUpdateCommand());
        await apt(h, aptRestoreCommand(record.changes.map((c) => ({ name: c.name, version: c.before }))));
        const now = new Map((await installed(h)).map((p) => [p.name, p.version]));
        const wrong = record.changes.filter((c) => now.get(c.name) !== c.before);
        if (wrong.length > 0) {
          throw new Conflict(
            `rollback on '${h.id}' left ` +
              wrong
                .map((c) => `${c.name} at ${now.get(c.name) ?? 'none'}, not ${c.before ?? 'none'}`)
                .join('; '),
          );
        }
      }
      await output(h, removeFileCommand(TRANSACTION_FILE));
    },

    close: () => pool.closeAll(),
  };
}

function checkHosts(list: readonly SshAptHost[]): Map<string, Host> {
  const hosts = new Map<string, Host>();
  const problems = list.flatMap((raw, i) => {
    const parsed = HostConfig.safeParse(raw);
    if (!parsed.success) {
      return parsed.error.issues.map((issue) => ({
        path: ['hosts', i, ...issue.path]
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
          .join('')
          .replace(/^\./, ''),
        message: issue.message,
      }));
    }
    if (hosts.has(parsed.data.id))
      return [{ path: `hosts[${i}].id`, message: `repeats host '${parsed.data.id}'` }];
    hosts.set(parsed.data.id, parsed.data);
    return [];
  });
  if (problems.length > 0) throw new BadInput(problems);
  return hosts;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

function commandFailed(h: Host, argv: readonly string[], result: ExecResult): Unavailable {
  const status = result.code === null ? 'no exit status (connection lost?)' : `exit status ${result.code}`;
  return new Unavailable(
    `'${argv.join(' ')}' on '${h.id}' failed with ${status}: ${firstLine(result.stderr)}`,
  );
}

/** apt's own words decide: a lock or a network problem may pass, anything else will not by retrying. */
function aptFailed(h: Host, argv: readonly string[], result: ExecResult): Unavailable | Conflict {
  const said = result.stderr
    .split('\n')
    .filter((line) => /^(E|W):/.test(line))
    .join(' ')
    .trim();
  const message = `apt-get on '${h.id}' failed (${result.code ?? 'connection lost'}): ${said || firstLine(result.stderr) || firstLine(result.stdout)}`;
  if (
    result.code === null ||
    /Could not get lock|Unable to acquire|Temporary failure|Failed to fetch|Could not connect|Connection failed/i.test(
      result.stderr,
    )
  ) {
    return new Unavailable(message, { cause: new Error(argv.join(' ')) });
  }
  return new Conflict(message, { cause: new Error(argv.join(' ')) });
}
