import { Unavailable } from '../../core/errors.js';
import type { Clock } from '../../core/ports.js';
import type { Simulation } from '../../core/sim/index.js';
import type { CommandJournal } from './journal.js';

/**
 * Turns the synchronous simulation into something async code can await. Virtual time moves
 * only while someone waits: events run until one wakes a waiter, then the runtime yields
 * (setImmediate) so the woken code can act at that very instant before time moves on.
 * Real I/O (a database call) goes through `hold`, and takes no virtual time: events due at
 * the current instant still run meanwhile, but time does not move on until every held call
 * has ended. Without it, another waiter's sleep would let hours of the fleet's time pass
 * while one call is in flight: leases would expire in healthy runs.
 */
export interface SimRuntime {
  readonly sim: Simulation;
  readonly clock: Clock;
  /** Where every call on the ports is written before it is made, when the world must outlive the process. */
  readonly journal: CommandJournal | undefined;
  /** Resolves true once the migration or job `id` has ended, or false after `timeoutMs` of virtual time. */
  settled(id: string, timeoutMs?: number): Promise<boolean>;
  sleep(ms: number): Promise<void>;
  /**
   * Real I/O the simulated world must not see as time passing: virtual time stands still
   * until it ends. It must not itself wait on virtual time beyond this instant: that would never come.
   */
  hold<T>(io: () => Promise<T>): Promise<T>;
  /** `target` (whose methods return promises) with each of its calls held: a store whose calls take no virtual time. */
  holding<T extends object>(target: T): T;
}

interface Waiter {
  done: boolean;
  fail(error: Error): void;
}

export interface SimRuntimeOptions {
  sim: Simulation;
  /**
   * Virtual time runs this many times faster than real time (a demo someone watches);
   * without it, as fast as events can be processed (tests, benchmarks).
   */
  speed?: number;
  journal?: CommandJournal;
}

export function createSimRuntime({ sim, speed, journal }: SimRuntimeOptions): SimRuntime {
  const waiters = new Set<Waiter>();
  /** Held real I/O calls under way: while any is, only events due at this very instant run. */
  let held = 0;
  let woke = false;
  let pumping = false;
  const virtualStart = sim.now;
  const realStart = performance.now();
  /** Real milliseconds to wait before the next event is due, when paced. */
  const wallWait = (): number => {
    const next = sim.nextEventTime();
    if (speed === undefined || next === undefined) return 0;
    return realStart + (next - virtualStart) / speed - performance.now();
  };

  const pump = () => {
    pumping = false;
    woke = false;
    while (waiters.size > 0 && !woke) {
      // While a call is held only what is due now runs; nor is the simulation stuck then, for
      // what the caller does with the answer may bring new events.
      if (held > 0 && sim.nextEventTime() !== sim.now) return;
      const wait = wallWait();
      if (wait > 0) {
        pumping = true;
        // Short naps, so a command that brings an earlier event is not kept waiting behind a later one.
        setTimeout(pump, Math.min(wait, 50));
        return;
      }
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

  const hold = <T>(io: () => Promise<T>): Promise<T> => {
    held++;
    // The release runs before the caller's continuation, and the pump (setImmediate) after it,
    // so that what the caller does at once with the answer still happens at this instant.
    const release = () => {
      if (--held === 0) kick();
    };
    let pending: Promise<T>;
    try {
      pending = io();
    } catch (error) {
      release();
      throw error;
    }
    pending.then(release, release);
    return pending;
  };

  const holding = <T extends object>(target: T): T => {
    const wrapped: Record<string, unknown> = {};
    for (const [name, member] of Object.entries(target))
      wrapped[name] =
        typeof member === 'function'
          ? (...args: unknown[]) =>
              hold(async () => (member as (...a: unknown[]) => unknown).apply(target, args))
          : member;
    return wrapped as T;
  };

  const sleep = (ms: number) => wait<void>((end) => sim.scheduleTimer(ms, 'sleep', () => end()));

  return {
    sim,
    clock: { now: () => sim.now, sleep },
    journal,
    sleep,
    hold,
    holding,
    settled: (id, timeoutMs) =>
      wait<boolean>((end) => {
        const cancel =
          timeoutMs === undefined
            ? undefined
            : sim.scheduleTimer(timeoutMs, 'wait-timeout', () => end(false));
        sim.onSettled(id, () => {
          cancel?.();
          end(true);
        });
      }),
  };
}
