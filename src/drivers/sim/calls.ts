import { TimedOut } from '../../core/errors.js';
import type { PortOperation } from '../../core/ports.js';
import type { JobView } from '../../core/sim/index.js';
import { runCommand, type CommandArgs, type CommandName, type CommandResult } from './commands.js';
import type { SimRuntime } from './runtime.js';

type Subject = { host?: string; guest?: string };

export interface Calls {
  /** A call that only looks. */
  read<T>(operation: PortOperation, subject: Subject, perform: () => Promise<T>): Promise<T>;
  /** A call that changes the world: the command from the table, then `after` on what it returned. */
  command<C extends CommandName, T>(
    name: C,
    subject: Subject,
    args: CommandArgs<C>,
    after: (result: CommandResult<C>) => Promise<T>,
  ): Promise<T>;
}

/**
 * Every driver call goes through here: it is written to the journal first (when the runtime
 * keeps one), and an `api-timeout` fault can strike it: the caller waits the API timeout and
 * gets `TimedOut`, whether the call took effect or not, as with a real API whose answer was lost.
 */
export function faultableCalls(runtime: SimRuntime): Calls {
  const { sim, journal } = runtime;
  const faultable = async <T>(
    operation: PortOperation,
    subject: Subject,
    args: readonly unknown[] | undefined,
    perform: () => Promise<T>,
  ): Promise<T> => {
    journal?.record({ n: sim.worldEvents, t: sim.now, op: operation, subject, ...(args && { args }) });
    const effect = sim.faults.apiTimeout(operation, subject);
    if (effect === undefined) return perform();
    // Applied: the operation runs on unobserved, its outcome lost with the answer.
    if (effect === 'applied') (async () => perform())().catch(() => undefined);
    await runtime.sleep(sim.timings.apiTimeoutMs);
    throw new TimedOut(
      `${operation}: no answer within ${sim.timings.apiTimeoutMs / 1000} s; it may or may not have taken effect`,
    );
  };
  return {
    read: (operation, subject, perform) => faultable(operation, subject, undefined, perform),
    command: (name, subject, args, after) =>
      faultable(name, subject, args, () => after(runCommand(sim, name, args))),
  };
}

/** Wait for a simulated job and hand back its value, or throw its error. */
export async function outcome<T>(runtime: SimRuntime, job: JobView<T>): Promise<T> {
  await runtime.settled(job.id);
  if (job.status === 'failed') throw job.error!;
  return job.value as T;
}
