import type { Platform, PlatformHost } from '../../core/ports.js';

/**
 * The platform, with its whole-fleet host list shared by the callers that ask for it at the
 * same moment: each migration reads it to choose a target, and at a thousand hosts in
 * flight a list per caller would make each move cost as much as the fleet is large. It
 * answers each caller with a state read after that caller asked, never an older one.
 * Callers must not change the list they are given: it is shared.
 *
 * How much is shared depends on where the first caller of a moment asks from, because the
 * read starts in a `process.nextTick` callback and Node runs that queue before promise
 * continuations after a plain callback, but only after them within a continuation:
 * - first asked from a promise continuation (after an `await`, as the engine's callers
 *   ask): the read starts once every pending continuation has run, so every caller of that
 *   moment joins it, however many awaits deep;
 * - first asked from a plain callback (a timer, an I/O callback, the top level): the read
 *   starts before that callback's continuations run, and a caller among them starts a
 *   second read: less sharing, never an older list.
 */
export function withSharedHostList(platform: Platform): Platform {
  let next: Promise<PlatformHost[]> | undefined;
  const listHosts = () => {
    next ??= new Promise<PlatformHost[]>((resolve, reject) =>
      process.nextTick(() => {
        next = undefined;
        // A port may also fail at once, before it returns a promise: each caller gets that too.
        try {
          platform.listHosts().then(resolve, reject);
        } catch (error) {
          reject(error);
        }
      }),
    );
    return next;
  };
  return { ...platform, listHosts };
}
