/**
 * Throwaway PostgreSQL clusters for tests: the Debian server binaries (`initdb`, `pg_ctl`),
 * a data directory in a temp dir, a free port on 127.0.0.1 and the unix socket next to the
 * data, so nothing outside the temp dir is touched and nothing is left behind.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`, trust authentication. */
  url: string;
  port: number;
  dir: string;
  binDir: string;
}

const INSTALL_HINT =
  'PostgreSQL server binaries (initdb, pg_ctl) not found: run scripts/install-test-deps.sh ' +
  '(apt-get install postgresql) before the tests';

/** Debian keeps the server binaries off PATH, in /usr/lib/postgresql/VERSION/bin; the newest wins. */
export function findPostgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const version of versions) {
    const dir = join(root, version, 'bin');
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  throw new Error(INSTALL_HINT);
}

/** PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user. */
async function asServerUser(binDir: string, program: string, args: string[]): Promise<void> {
  const path = join(binDir, program);
  const [file, argv] =
    process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
  try {
    await run(file, argv, { timeout: 60_000 });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`${program} ${args.join(' ')} failed: ${stderr || stdout || String(error)}`, {
      cause: error,
    });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(address)));
    });
  });
}

export async function createCluster(): Promise<PostgresCluster> {
  const binDir = findPostgresBinDir();
  const dir = await mkdtemp(join(tmpdir(), 'hvpatch-pg-'));
  if (process.getuid?.() === 0) await chown(dir, ...(await postgresIds()));
  await asServerUser(binDir, 'initdb', [
    '-D',
    join(dir, 'data'),
    '--auth=trust',
    '--username=postgres',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  // The port is free when probed; another process may take it before the server binds, so retry.
  for (let attempt = 1; ; attempt++) {
    const cluster = { url: '', port: await freePort(), dir, binDir };
    cluster.url = `postgres://postgres@127.0.0.1:${cluster.port}/postgres`;
    try {
      await startCluster(cluster);
      return cluster;
    } catch (error) {
      if (attempt === 3) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

async function postgresIds(): Promise<[number, number]> {
  const { stdout } = await run('id', ['postgres']);
  const uid = /uid=(\d+)/.exec(stdout)?.[1];
  const gid = /gid=(\d+)/.exec(stdout)?.[1];
  if (uid === undefined || gid === undefined) throw new Error(`no postgres user: ${stdout}; ${INSTALL_HINT}`);
  return [Number(uid), Number(gid)];
}

export async function startCluster(cluster: PostgresCluster): Promise<void> {
  // fsync off: the tests kill the server, never the machine, so the OS page cache survives.
  const options = `-c listen_addresses=127.0.0.1 -p ${cluster.port} -k ${cluster.dir} -c fsync=off -c max_connections=200`;
  await asServerUser(cluster.binDir, 'pg_ctl', [
    '-D',
    join(cluster.dir, 'data'),
    '-l',
    join(cluster.dir, 'server.log'),
    '-o',
    options,
    '-w',
    '-t',
    '60',
    'start',
  ]);
}

/**
 * `immediate` is what a crash looks like to the data: no checkpoint, recovery from the WAL on
 * the next start, and every open connection cut.
 */
export async function stopCluster(
  cluster: PostgresCluster,
  mode: 'fast' | 'immediate' = 'fast',
): Promise<void> {
  await asServerUser(cluster.binDir, 'pg_ctl', ['-D', join(cluster.dir, 'data'), '-m', mode, '-w', 'stop']);
}

export async function restartCluster(cluster: PostgresCluster): Promise<void> {
  await stopCluster(cluster, 'immediate');
  await startCluster(cluster);
}

export async function destroyCluster(cluster: PostgresCluster): Promise<void> {
  try {
    await stopCluster(cluster, 'immediate');
  } catch (error) {
    // Already stopped (a test left it down) is fine; a server that would not stop is not.
    if (existsSync(join(cluster.dir, 'data', 'postmaster.pid'))) throw error;
  }
  await rm(cluster.dir, { recursive: true, force: true });
}

/** A database of its own in a shared cluster, so test files running in parallel do not see each other. */
export async function createDatabase(cluster: Pick<PostgresCluster, 'url'>, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: cluster.url });
  await client.connect();
  try {
    const database = `${name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${process.pid}_${Date.now().toString(36)}`;
    await client.query(`CREATE DATABASE ${database}`);
    const url = new URL(cluster.url);
    url.pathname = `/${database}`;
    return url.toString();
  } finally {
    await client.end();
  }
}
