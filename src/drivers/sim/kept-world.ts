import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BadInput } from '../../core/errors.js';
import type { Fleet } from '../../core/model/index.js';
import type { FaultPlan } from '../../core/sim/index.js';
import { createSimEnvironment, type SimEnvironment } from './index.js';
import { fileJournal, readJournal } from './journal.js';

/**
 * What makes a simulated world: with the calls in its journal, enough to build it again.
 * The same shape as `hvpatch run` keeps in its data directory's `sim/world.json`.
 */
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

/**
 * The simulated world kept in `files`, back where the last process left it, with every call
 * from now on written to its journal; a new one from `wanted` (kept from now on) when there is
 * none. A kept world made from another fleet, seed or faults is refused rather than replayed:
 * the calls would land on other hosts, or nowhere. So is a setup whose journal is gone, since
 * the world it describes cannot be built again.
 */
export function openKeptWorld(files: KeptWorldFiles, wanted: WorldSetup): KeptWorld {
  const saved = readSetup(files.setup);
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
    return { env: build(files, wanted, []), replayed: 0, created: true };
  }
  const problems = mismatches(saved, wanted, files.setup);
  if (problems.length > 0) throw new BadInput(problems);
  if (!existsSync(files.journal))
    throw new BadInput([
      {
        file: files.journal,
        message: `is missing, so the simulated world described in ${files.setup} cannot be built again`,
      },
    ]);
  const entries = readJournal(files.journal);
  return { env: build(files, saved, entries), replayed: entries.length, created: false };
}

function build(
  files: KeptWorldFiles,
  setup: WorldSetup,
  replay: ReturnType<typeof readJournal>,
): SimEnvironment {
  try {
    return createSimEnvironment(setup.fleet, {
      seed: setup.seed,
      faults: setup.faults,
      startTime: setup.startTime,
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

function readSetup(file: string): WorldSetup | undefined {
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
