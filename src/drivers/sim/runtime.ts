import { Unavailable } from '../../core/errors.js';
import type { Clock } from '../../core/ports.js';
import type { Simulation } from '../../core/sim/index.js';

/**
 * Turns the synchronous simulation into something async code can await. Virtual time moves
 * only while someone waits: events run until one wakes a waiter, then the runtime yields
 * (setImmediate) so the woken code can act at that very instant before time moves on.
 * Code that does real I/O between its waits may see virtual time jump meanwhile.
 */
export interface SimRuntime {
  readonly sim: Simulation;
  readonly clock: Clock;
  /** Resolves true once the migration or job `id` has ended, or false after `timeoutMs` of virtual time. */
  settled(id: string, timeoutMs?: number): Promise<boolean>;
  sleep(ms: number): Promise<void>;
}

interface Waiter {
  done: boolean;
  fail(error: Error): void;
}

export function createSimRuntime({ sim }: { sim: Simulation }): SimRuntime {
  const waiters = new Set<Waiter>();
  let woke = false;
  let pumping = false;

  const pump = () => {
    pumping = false;
    woke = false;
    while (waiters.size > 0 && !woke) {
      if (!sim.step()) {
        const stuck = new Unavailable(
          'the simulation has nothing left to happen, so this wait would never end',
        );
        for (const waiter of [...waiters]) waiter.fail(stuck);
        return;
      }
    }
    kick();
  };
  const kick = () => {
    if (pumping || waiters.size === 0) return;
    pumping = true;
    setImmediate(pump);
  };

  /** `arm` registers the ways the wait can end; the first one to call `end` wins. */
  const wait = <T>(arm: (end: (value: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        done: false,
        fail: (error) => {
          waiters.delete(waiter);
          reject(error);
        },
      };
      waiters.add(waiter);
      try {
        arm((value) => {
          if (waiter.done) return;
          waiter.done = true;
          waiters.delete(waiter);
          woke = true;
          resolve(value);
        });
      } catch (error) {
        waiter.fail(error as Error);
        return;
      }
      kick();
    });

  const sleep = (ms: number) => wait<void>((end) => sim.schedule(ms, 'sleep', () => end()));

  return {
    sim,
    clock: { now: () => sim.now, sleep },
    sleep,
    settled: (id, timeoutMs) =>
      wait<boolean>((end) => {
        const cancel =
          timeoutMs === undefined ? undefined : sim.schedule(timeoutMs, 'wait-timeout', () => end(false));
        sim.onSettled(id, () => {
          cancel?.();
          end(true);
        });
      }),
  };
}
