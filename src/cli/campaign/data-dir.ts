import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInput, Conflict } from '../../core/errors.js';
import { keptWorldFiles, type KeptWorldFiles } from '../../drivers/sim/kept-world.js';

/**
 * What `hvpatch run` keeps in its data directory:
 *   store/              the campaign store (embedded PGlite), unless --database-url is given
 *   sim/                the simulated world, kept as drivers/sim/kept-world.ts keeps one:
 *     world.json          its setup: the fleet, the seed, the faults and when its clock started
 *     journal.ndjson      every call made on it, to replay it (drivers/sim/journal.ts)
 *   run.json            the live run: its process (removed when it ends)
 *   control.sock        where status, pause, resume, abort and events reach the live run
 * `hvpatch serve` claims its directories with a run.json too (see `claimDataDir`).
 */
export interface DataDir {
  root: string;
  store: string;
  world: KeptWorldFiles;
  run: string;
  socket: string;
}

export function dataDir(root: string): DataDir {
  return {
    root,
    store: join(root, 'store'),
    world: keptWorldFiles(join(root, 'sim')),
    run: join(root, 'run.json'),
    socket: join(root, 'control.sock'),
  };
}

/** The process holding the data directory, as written by it. */
export interface LiveRun {
  pid: number;
  worker: string;
  startedAt: string;
  /** Which command holds it; claims written before serve made any are run's. */
  command?: 'run' | 'serve';
}

/** The run or server that holds the directory, if its process is still alive (a killed one leaves its file behind). */
export function liveRun(dir: DataDir): LiveRun | undefined {
  if (!existsSync(dir.run)) return undefined;
  let run: LiveRun;
  try {
    run = JSON.parse(readFileSync(dir.run, 'utf8')) as LiveRun;
  } catch {
    return undefined;
  }
  return processAlive(run.pid) ? run : undefined;
}

/**
 * Takes the directory for this process. Embedded PGlite allows one process per data directory,
 * and two processes appending to one simulated world's journal would each replay a world the
 * other changed, so a second run or server is refused while the first lives; a dead one's
 * leftovers are cleared.
 */
export function claimDataDir(dir: DataDir, run: Required<LiveRun>): () => void {
  const holder = liveRun(dir);
  if (holder) {
    const command = holder.command ?? 'run';
    const instead =
      command === 'run'
        ? `use 'hvpatch status --data-dir ${dir.root}', or stop that run first`
        : 'use its API, or stop that server first';
    throw new Conflict(
      `${dir.root} is in use by hvpatch ${command} (pid ${holder.pid}, worker ${holder.worker}): ${instead}`,
    );
  }
  mkdirSync(dir.root, { recursive: true });
  rmSync(dir.run, { force: true });
  rmSync(dir.socket, { force: true });
  try {
    // Exclusive create: of two processes started at the same instant, one gets the directory.
    writeFileSync(dir.run, `${JSON.stringify(run)}\n`, { flag: 'wx' });
  } catch {
    throw new Conflict(`${dir.root} was just taken by another hvpatch run or serve`);
  }
  return () => {
    rmSync(dir.run, { force: true });
    rmSync(dir.socket, { force: true });
  };
}

export function requireDataDir(root: string): DataDir {
  const dir = dataDir(root);
  if (!existsSync(dir.store) && !existsSync(dir.run))
    throw new BadInput([
      { path: '--data-dir', message: `${root} holds no campaign (start one with 'hvpatch run')` },
    ]);
  return dir;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
