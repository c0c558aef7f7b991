import { TimedOut } from '../../core/errors.js';
import type { PortOperation } from '../../core/ports.js';
import type { JobView } from '../../core/sim/index.js';
import type { SimRuntime } from './runtime.js';

export type Call = <T>(
  operation: PortOperation,
  subject: { host?: string; guest?: string },
  perform: () => Promise<T>,
) => Promise<T>;

/**
 * Every driver call goes through here so that an `api-timeout` fault can strike it: the
 * caller waits the API timeout and gets `TimedOut`, whether the call took effect or not,
 * as with a real API whose answer was lost.
 */
export function faultableCalls(runtime: SimRuntime): Call {
  const { sim } = runtime;
  return async (operation, subject, perform) => {
    const effect = sim.faults.apiTimeout(operation, subject);
    if (effect === undefined) return perform();
    // Applied: the operation runs on unobserved, its outcome lost with the answer.
    if (effect === 'applied') (async () => perform())().catch(() => undefined);
    await runtime.sleep(sim.timings.apiTimeoutMs);
    throw new TimedOut(
      `${operation}: no answer within ${sim.timings.apiTimeoutMs / 1000} s; it may or may not have taken effect`,
    );
  };
}

/** Wait for a simulated job and hand back its value, or throw its error. */
export async function outcome<T>(runtime: SimRuntime, job: JobView<T>): Promise<T> {
  await runtime.settled(job.id);
  if (job.status === 'failed') throw job.error!;
  return job.value as T;
}
