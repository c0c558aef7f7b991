import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client as SshClient, ClientChannel, ConnectConfig } from 'ssh2';
import { HvpatchError, PermissionDenied, TimedOut, Unavailable } from '../../core/errors.js';
import { fingerprintSha256, sameFingerprint } from './host-key.js';
import { shellCommand } from './quote.js';

const { Client } = ssh2;

export interface SshTarget {
  id: string;
  address: string;
  port: number;
  user: string;
  privateKey: string | Buffer;
  /** The host key's fingerprint as `ssh-keygen -l -E sha256` prints it; any other key is refused. */
  hostKeySha256: string;
  /**
   * A program whose stdin/stdout carry the connection instead of a TCP socket, like
   * OpenSSH's ProxyCommand (a jump host, or a network namespace the controller cannot
   * route to); `{address}` and `{port}` are replaced.
   */
  proxyCommand?: readonly string[];
}

export interface ExecResult {
  /** null when the command did not report an exit status (the connection dropped, or a signal). */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  timeoutMs: number;
  stdin?: string;
}

/** SSH servers cap sessions per connection (OpenSSH: MaxSessions 10); stay well below. */
const MAX_CHANNELS = 6;
const MAX_OUTPUT = 16 * 1024 * 1024;

interface Connection {
  client: SshClient;
  channels: number;
  waiting: (() => void)[];
}

/** One SSH connection per host, opened on first use and dropped when it breaks. */
export function createSshPool(options: { connectTimeoutMs: number }) {
  const connections = new Map<string, Promise<Connection>>();

  function connect(target: SshTarget): Promise<Connection> {
    let pending = connections.get(target.id);
    if (!pending) {
      pending = open(target, options.connectTimeoutMs).then((client) => {
        const connection: Connection = { client, channels: 0, waiting: [] };
        const forget = () => {
          if (connections.get(target.id) === pending) connections.delete(target.id);
        };
        client.on('close', forget);
        client.on('error', forget);
        return connection;
      });
      pending.catch(() => connections.get(target.id) === pending && connections.delete(target.id));
      connections.set(target.id, pending);
    }
    return pending;
  }

  async function exec(target: SshTarget, argv: readonly string[], run: ExecOptions): Promise<ExecResult> {
    const command = shellCommand(argv);
    const connection = await connect(target);
    while (connection.channels >= MAX_CHANNELS) await new Promise<void>((go) => connection.waiting.push(go));
    connection.channels++;
    try {
      return await execOn(connection.client, command, run, `${argv[0]} on '${target.id}'`);
    } finally {
      connection.channels--;
      connection.waiting.shift()?.();
    }
  }

  function drop(id: string): void {
    const pending = connections.get(id);
    connections.delete(id);
    void pending?.then((c) => c.client.end()).catch(() => undefined);
  }

  function closeAll(): void {
    for (const id of [...connections.keys()]) drop(id);
  }

  return { exec, drop, closeAll };
}

export type SshPool = ReturnType<typeof createSshPool>;

function open(target: SshTarget, timeoutMs: number): Promise<SshClient> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const where = `'${target.id}' (${target.address}:${target.port})`;
    let presented: string | undefined;
    const config: ConnectConfig = {
      host: target.address,
      port: target.port,
      username: target.user,
      privateKey: target.privateKey,
      readyTimeout: timeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      // The pinned key or nothing: there is no trust-on-first-use here.
      hostVerifier: (key: Buffer) => {
        presented = fingerprintSha256(key);
        return sameFingerprint(presented, target.hostKeySha256);
      },
    };
    const proxy = target.proxyCommand && startProxy(target);
    if (proxy) config.sock = proxy.socket;
    client.once('ready', () => resolve(client));
    client.once('error', (error: Error & { level?: string }) => {
      proxy?.stop();
      if (presented !== undefined && !sameFingerprint(presented, target.hostKeySha256)) {
        reject(
          new PermissionDenied(
            `host key of ${where} is ${presented}, but ${target.hostKeySha256} is pinned: refusing to connect ` +
              '(a reinstalled host needs its new key pinned; otherwise someone may be in the middle)',
            { cause: error },
          ),
        );
      } else if (error.level === 'client-authentication') {
        reject(new PermissionDenied(`SSH to ${where} as '${target.user}': key refused`, { cause: error }));
      } else {
        reject(new Unavailable(`cannot reach ${where} over SSH: ${error.message}`, { cause: error }));
      }
    });
    client.on('error', () => undefined); // later errors end the connection; the pool notices the close
    client.on('close', () => proxy?.stop());
    client.connect(config);
  });
}

function startProxy(target: SshTarget) {
  const argv = target.proxyCommand!.map((a) =>
    a.replaceAll('{address}', target.address).replaceAll('{port}', String(target.port)),
  );
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'ignore'], shell: false });
  child.on('error', () => undefined);
  const socket = Duplex.from({ readable: child.stdout, writable: child.stdin });
  socket.on('error', () => undefined);
  return {
    socket,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    },
  };
}

function execOn(client: SshClient, command: string, run: ExecOptions, what: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    let channel: ClientChannel | undefined;
    const timer = setTimeout(() => {
      channel?.close();
      reject(
        new TimedOut(
          `${what}: no answer within ${run.timeoutMs / 1000} s; it may or may not have taken effect`,
        ),
      );
    }, run.timeoutMs);
    const fail = (error: unknown) => {
      clearTimeout(timer);
      reject(
        error instanceof HvpatchError
          ? error
          : new Unavailable(`${what}: ${(error as Error).message}`, { cause: error }),
      );
    };
    try {
      client.exec(command, (error, opened) => {
        if (error) return fail(error);
        channel = opened;
        const stdout = collect();
        const stderr = collect();
        let code: number | null = null;
        opened.on('data', stdout.add);
        opened.stderr.on('data', stderr.add);
        opened.on('exit', (status: number | null) => (code = typeof status === 'number' ? status : null));
        opened.on('close', () => {
          clearTimeout(timer);
          resolve({ code, stdout: stdout.text(), stderr: stderr.text() });
        });
        opened.end(run.stdin);
      });
    } catch (error) {
      fail(error);
    }
  });
}

function collect() {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    add: (chunk: Buffer) => {
      if (size < MAX_OUTPUT) chunks.push(chunk);
      size += chunk.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}
