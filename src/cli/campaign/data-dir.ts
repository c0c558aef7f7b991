import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInput, Conflict } from '../../core/errors.js';
import type { Fleet } from '../../core/model/index.js';
import type { FaultPlan } from '../../core/sim/index.js';

/**
 * What `hvpatch run` keeps in its data directory:
 *   store/              the campaign store (embedded PGlite), unless --database-url is given
 *   sim/world.json      the simulated world's inputs: the fleet, the seed and the faults
 *   sim/journal.ndjson  every call made on the simulated world, to replay it (drivers/sim/journal.ts)
 *   run.json            the live run: its process, campaign and control socket (removed when it ends)
 *   control.sock        where status, pause, resume, abort and events reach the live run
 */
export interface DataDir {
  root: string;
  store: string;
  world: string;
  journal: string;
  run: string;
  socket: string;
}

export function dataDir(root: string): DataDir {
  return {
    root,
    store: join(root, 'store'),
    world: join(root, 'sim', 'world.json'),
    journal: join(root, 'sim', 'journal.ndjson'),
    run: join(root, 'run.json'),
    socket: join(root, 'control.sock'),
  };
}

export interface SimWorldSetup {
  fleet: Fleet;
  seed: number;
  faults: FaultPlan;
  /** The simulated clock starts when the plan does, so windows and deadlines mean what they say. */
  startTime: number;
}

export function readWorldSetup(dir: DataDir): SimWorldSetup | undefined {
  if (!existsSync(dir.world)) return undefined;
  return JSON.parse(readFileSync(dir.world, 'utf8')) as SimWorldSetup;
}

export function writeWorldSetup(dir: DataDir, setup: SimWorldSetup): void {
  mkdirSync(join(dir.root, 'sim'), { recursive: true });
  writeFileSync(dir.world, `${JSON.stringify(setup)}\n`);
}

/** The run holding the data directory, as written by it. */
export interface LiveRun {
  pid: number;
  worker: string;
  startedAt: string;
}

/** The run that holds the directory, if its process is still alive (a killed run leaves its file behind). */
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
 * Takes the directory for this process. Embedded PGlite allows one process per data
 * directory, so a second run is refused while the first lives; a dead one's leftovers are cleared.
 */
export function claimDataDir(dir: DataDir, run: LiveRun): () => void {
  const holder = liveRun(dir);
  if (holder)
    throw new Conflict(
      `${dir.root} is in use by hvpatch run (pid ${holder.pid}, worker ${holder.worker}): use 'hvpatch status --data-dir ${dir.root}', or stop that run first`,
    );
  mkdirSync(dir.root, { recursive: true });
  rmSync(dir.run, { force: true });
  rmSync(dir.socket, { force: true });
  try {
    // Exclusive create: of two runs started at the same instant, one gets the directory.
    writeFileSync(dir.run, `${JSON.stringify(run)}\n`, { flag: 'wx' });
  } catch {
    throw new Conflict(`${dir.root} was just taken by another hvpatch run`);
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
