import { appendFileSync, readFileSync } from 'node:fs';
import { BadInput, HvpatchError } from '../../core/errors.js';
import type { PortOperation } from '../../core/ports.js';
import type { Simulation } from '../../core/sim/index.js';
import { isCommand, runCommand, type CommandArgs } from './commands.js';

/**
 * One call on the ports: where the world stood when it was made (`n` world events processed,
 * virtual time `t`), what was called, and, for calls that change the world, with what.
 */
export interface JournalEntry {
  n: number;
  t: number;
  op: PortOperation;
  subject: { host?: string; guest?: string };
  args?: readonly unknown[];
}

export interface CommandJournal {
  record(entry: JournalEntry): void;
}

/**
 * The simulated world kept in a file, as the calls made on it: the simulation is deterministic,
 * so the same fleet and options with the same calls at the same points give back the world
 * exactly, migrations and reboots under way included, with the same ids a store may hold.
 * Written before each call is made, synchronously: a process killed at any point leaves the
 * world as the calls it made left it (the page cache keeps the file across a process crash).
 */
export function fileJournal(path: string): CommandJournal {
  return {
    record: (entry) => appendFileSync(path, `${JSON.stringify(entry)}\n`),
  };
}

/** The entries of a journal file; a last line cut short by a crash mid-write is dropped (it was never acted on). */
export function readJournal(path: string): JournalEntry[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const entries: JournalEntry[] = [];
  for (const [index, line] of lines.entries()) {
    if (line === '') continue;
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch (error) {
      if (index === lines.length - 1) break;
      throw new BadInput([{ file: path, line: index + 1, message: `not a journal entry: ${String(error)}` }]);
    }
  }
  return entries;
}

/**
 * Plays the calls again on a simulation made from the same fleet and options. Each call
 * draws its faults as it did; a call the fault let through changes the world again.
 */
export function replayJournal(sim: Simulation, entries: readonly JournalEntry[], file = 'journal'): void {
  for (const [index, entry] of entries.entries()) {
    if (!sim.replayWorldEventsTo(entry.n))
      throw new BadInput([
        {
          file,
          line: index + 1,
          message: `the world ran out of events before the call ${entry.op} (was this journal written for another fleet or seed?)`,
        },
      ]);
    sim.resumeClockAt(entry.t);
    const effect = sim.faults.apiTimeout(entry.op, entry.subject);
    if (effect === 'not-applied' || !isCommand(entry.op)) continue;
    try {
      runCommand(sim, entry.op, (entry.args ?? []) as CommandArgs<typeof entry.op>);
    } catch (error) {
      // Refused then, refused now: the caller was told so at the time.
      if (!(error instanceof HvpatchError)) throw error;
    }
  }
}
