import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BadInput, Conflict } from '../../core/errors.js';
import type { Fleet } from '../../core/model/index.js';
import type { FaultPlan } from '../../core/sim/index.js';
import { createSimEnvironment, type SimEnvironment } from './index.js';
import { fileJournal, readJournal } from './journal.js';

/** What makes a simulated world: with the calls in its journal, enough to build it again. */
export interface WorldSetup {
  fleet: Fleet;
  seed: number;
  faults: FaultPlan;
  /** Epoch ms the simulated clock started at: the journal's times count from it. */
  startTime: number;
}

/** A directory keeping one simulated world: `world.json` (its setup) and `journal.ndjson` (every call made on it). */
export interface KeptWorldFiles {
  setup: string;
  journal: string;
}

export function keptWorldFiles(dir: string): KeptWorldFiles {
  return { setup: join(dir, 'world.json'), journal: join(dir, 'journal.ndjson') };
}

export interface KeptWorld {
  env: SimEnvironment;
  /** Calls played again from the journal: none for a world made just now. */
  replayed: number;
  /** True when the world was made just now (the directory kept none). */
  created: boolean;
}

export interface OpenKeptWorldOptions {
  /** Virtual time runs this many times faster than real time; as fast as possible without it. */
  speed?: number;
  /**
   * The caller knows that no call was ever made on the kept world (its campaign store records
   * no action attempted): then a missing journal is an empty one. `hvpatch run` used to create
   * its journal at the first call rather than with the setup, so its data directories that never
   * made one hold a setup without a journal; without such knowledge that means a journal lost.
   */
  nothingDoneYet?: boolean;
}

/**
 * The simulated world kept in `files`, back where the last process left it, with every call
 * from now on written to its journal; a new one from `wanted` (kept from now on) when there is
 * none. A kept world made from another fleet, seed or faults is refused rather than replayed:
 * the calls would land on other hosts, or nowhere. So is a setup whose journal is gone, since
 * the world it describes cannot be built again. The kept `startTime` is the one used: the
 * journal's times count from it.
 */
export function openKeptWorld(
  files: KeptWorldFiles,
  wanted: WorldSetup,
  options: OpenKeptWorldOptions = {},
): KeptWorld {
  const saved = readWorldSetup(files);
  if (saved === undefined) {
    if (existsSync(files.journal) && readJournal(files.journal).length > 0)
      throw new BadInput([
        {
          file: files.journal,
          message: `holds calls made on a simulated world whose setup (${files.setup}) is missing, so it cannot be built again`,
        },
      ]);
    mkdirSync(dirname(files.setup), { recursive: true });
    // The journal first, empty: a setup without its journal then always means a journal lost.
    writeFileSync(files.journal, '');
    // Whole or not at all, so that a crash leaves no setup cut short.
    writeFileSync(`${files.setup}.new`, `${JSON.stringify(wanted)}\n`);
    renameSync(`${files.setup}.new`, files.setup);
    return { env: build(files, wanted, [], options.speed), replayed: 0, created: true };
  }
  const problems = mismatches(saved, wanted, files.setup);
  if (problems.length > 0) throw new BadInput(problems);
  if (!existsSync(files.journal) && options.nothingDoneYet === true) writeFileSync(files.journal, '');
  if (!existsSync(files.journal))
    throw new BadInput([
      {
        file: files.journal,
        message: `is missing, so the simulated world described in ${files.setup} cannot be built again`,
      },
    ]);
  const entries = readJournal(files.journal);
  return { env: build(files, saved, entries, options.speed), replayed: entries.length, created: false };
}

/**
 * Removes a kept world that no call was ever made on, so that another can be kept in its place
 * (a process that stopped between keeping a world and starting to use it leaves one behind). One
 * that was acted on is refused: what was done in it would be lost.
 */
export function discardUnusedWorld(files: KeptWorldFiles): void {
  const calls = existsSync(files.journal) ? readJournal(files.journal).length : 0;
  if (calls > 0)
    throw new Conflict(
      `${files.journal} holds ${calls} calls made on the simulated world kept in ${files.setup}: it cannot be replaced without losing them`,
    );
  // The setup first: stopped halfway, this leaves an empty journal, which the next world kept here takes over.
  rmSync(files.setup, { force: true });
  rmSync(files.journal, { force: true });
}

function build(
  files: KeptWorldFiles,
  setup: WorldSetup,
  replay: ReturnType<typeof readJournal>,
  speed: number | undefined,
): SimEnvironment {
  try {
    return createSimEnvironment(setup.fleet, {
      seed: setup.seed,
      faults: setup.faults,
      startTime: setup.startTime,
      ...(speed !== undefined && { speed }),
      replay,
      journal: fileJournal(files.journal),
    });
  } catch (error) {
    // The replay names no file: this is where it is known.
    if (error instanceof BadInput)
      throw new BadInput(
        error.problems.map((p) => ({ ...p, file: files.journal })),
        { cause: error },
      );
    throw error;
  }
}

/** The setup of the world kept in `files`, if one is kept. */
export function readWorldSetup(files: KeptWorldFiles): WorldSetup | undefined {
  const file = files.setup;
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as WorldSetup;
  } catch (error) {
    throw new BadInput([{ file, message: `not a simulated world's setup: ${String(error)}` }], {
      cause: error,
    });
  }
}

function mismatches(saved: WorldSetup, wanted: WorldSetup, file: string) {
  const problems: { file: string; path: string; message: string }[] = [];
  // Both as JSON: the saved fleet went through it, and optional fields left out must compare equal.
  if (JSON.stringify(saved.fleet) !== JSON.stringify(wanted.fleet))
    problems.push({
      file,
      path: 'fleet',
      message: `the simulated world kept here is of another fleet (${saved.fleet.hosts.length} hosts) than the one given (${wanted.fleet.hosts.length} hosts): give the same fleet, or keep another world elsewhere`,
    });
  if (saved.seed !== wanted.seed)
    problems.push({
      file,
      path: 'seed',
      message: `the simulated world kept here has seed ${saved.seed}, not ${wanted.seed}: give seed ${saved.seed}, or keep another world elsewhere`,
    });
  if (JSON.stringify(saved.faults) !== JSON.stringify(wanted.faults))
    problems.push({ file, path: 'faults', message: 'the simulated world kept here injects other faults' });
  return problems;
}
