import { execFile } from 'node:child_process';
import { TimedOut, Unavailable } from '../../core/errors.js';
import type { GuestPatchHook } from '../../core/model/index.js';
import type { GuestPatcher } from '../../core/ports.js';

/** What of a failed hook's output goes into the error: its last words say why. */
const OUTPUT_TAIL = 2000;

/**
 * The policy's guest patch hook as a local command: its argv with `{guest}` and `{host}`
 * replaced, no shell (arguments are passed as they are), killed past its timeout.
 */
export function commandGuestPatcher(hook: GuestPatchHook): GuestPatcher {
  return {
    patch: (guest, host) =>
      new Promise<void>((resolve, reject) => {
        const [program, ...args] = hook.command.map((arg) =>
          arg.replaceAll('{guest}', guest).replaceAll('{host}', host),
        );
        execFile(
          program!,
          args,
          { timeout: hook.timeout, killSignal: 'SIGKILL' },
          (error, stdout, stderr) => {
            if (!error) return resolve();
            const output = `${stderr}${stdout}`.trim().slice(-OUTPUT_TAIL);
            const said = output === '' ? '' : `: ${output}`;
            if (error.killed)
              return reject(
                new TimedOut(
                  `guest patch hook for ${guest} ran past ${hook.timeout} ms and was killed${said}`,
                ),
              );
            const how =
              error.code === 'ENOENT' ? `cannot run ${program}` : `exited with ${String(error.code)}`;
            reject(new Unavailable(`guest patch hook for ${guest} ${how}${said}`));
          },
        );
      }),
  };
}
