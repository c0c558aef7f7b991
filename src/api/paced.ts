import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../core/ports.js';

/**
 * Slows a simulated run down to something a person can watch: after each call that took
 * virtual time, wait that time divided by `speed` in real time. The simulation itself stays
 * untouched (and deterministic); only how fast its results reach the engine changes.
 * `hurry()` drops the waits, so that a server shutting down finishes hosts in flight at once.
 */
export interface Pacer {
  wrap<T extends object>(port: T): T;
  clock(): Clock;
  hurry(): void;
}

/** At most this long a single call is held back, so a long virtual wait never freezes the view. */
const MAX_REAL_WAIT_MS = 2_000;

export function createPacer(virtual: Clock, speed: number): Pacer {
  let hurried = false;
  const pace = async <T>(call: () => Promise<T>): Promise<T> => {
    const before = virtual.now();
    const result = await call();
    const elapsed = virtual.now() - before;
    if (!hurried && elapsed > 0 && Number.isFinite(speed))
      await delay(Math.min(MAX_REAL_WAIT_MS, elapsed / speed));
    return result;
  };
  return {
    wrap: <T extends object>(port: T): T =>
      new Proxy(port, {
        get(target, key, receiver) {
          const value: unknown = Reflect.get(target, key, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => pace(() => Promise.resolve(value.apply(target, args)));
        },
      }),
    clock: () => ({ now: () => virtual.now(), sleep: (ms) => pace(() => virtual.sleep(ms)) }),
    hurry: () => {
      hurried = true;
    },
  };
}
