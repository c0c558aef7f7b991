/**
 * `kill -9` for tests: every port, the store and the clock of one worker go through one
 * switch; from the call it trips on, every call throws `Killed` — including answers that
 * arrive afterwards — so the worker's promise chain stops dead, with no cleanup.
 */
export class Killed extends Error {
  constructor() {
    super('killed');
    this.name = 'Killed';
  }
}

export interface KillSwitch {
  /** Whether it has tripped. */
  readonly dead: boolean;
  wrap<T extends object>(target: T): T;
  kill(): void;
}

/** Trips at call number `at` (never when undefined), or when `kill()` is called. */
export function killSwitch(at?: number): KillSwitch {
  let calls = 0;
  let dead = false;
  const check = () => {
    if (dead) throw new Killed();
  };
  const wrap = <T extends object>(target: T): T => {
    const wrapped: Record<string, unknown> = {};
    for (const [name, member] of Object.entries(target)) {
      if (typeof member !== 'function') {
        wrapped[name] = member;
        continue;
      }
      const fn = member as (...args: unknown[]) => unknown;
      wrapped[name] = (...args: unknown[]) => {
        check();
        if (at !== undefined && ++calls >= at) dead = true;
        check();
        const result = fn.apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.then(
          (value: unknown) => {
            check();
            return value;
          },
          (error: unknown) => {
            check();
            throw error;
          },
        );
      };
    }
    return wrapped as T;
  };
  return {
    get dead() {
      return dead;
    },
    wrap,
    kill: () => {
      dead = true;
    },
  };
}
