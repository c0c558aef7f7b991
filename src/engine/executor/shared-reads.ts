import type { Platform, PlatformHost } from '../../core/ports.js';

/**
 * The platform, with its whole-fleet host list shared by the callers that ask for it at the
 * same moment: every probe of a disable or an enable reads it, and at a thousand hosts in
 * flight a list per caller would make each action cost as much as the fleet is large. The
 * call is made once the callers of the current turn of the event loop (its microtasks
 * included) have all asked, so it still answers each of them with a state read after it
 * asked, never an older one. Callers must not change the list they are given: it is shared.
 */
export function withSharedHostList(platform: Platform): Platform {
  let next: Promise<PlatformHost[]> | undefined;
  const listHosts = () => {
    next ??= new Promise<PlatformHost[]>((resolve, reject) =>
      // After the microtasks of this turn, before any timer or I/O: the callers of the same
      // moment, however many awaits deep, have all joined by then.
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
