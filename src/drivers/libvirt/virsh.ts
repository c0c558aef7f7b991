import {
  Conflict,
  HvpatchError,
  NotFound,
  PermissionDenied,
  TimedOut,
  Unavailable,
} from '../../core/errors.js';
import type { RunningProcess, SpawnProcess } from './process.js';

export interface VirshOptions {
  spawn: SpawnProcess;
  /** Run before virsh, e.g. `ip netns exec NS` when the hosts are reachable only from a namespace. */
  prefix: readonly string[];
  binary: string;
  timeoutMs: number;
}

export interface Virsh {
  /** Runs one virsh command against `uri` and returns what it printed; failures come back as the error taxonomy. */
  run(uri: string, args: readonly string[], options?: { timeoutMs?: number }): Promise<string>;
  /** Starts a long command (a migration) and leaves it running. */
  start(uri: string, args: readonly string[]): RunningProcess;
}

export function virshArgv(
  options: Pick<VirshOptions, 'prefix' | 'binary'>,
  uri: string,
  args: readonly string[],
) {
  // -q: no "Domain 'x' started" chatter to strip; --connect names the host explicitly.
  return [...options.prefix, options.binary, '-q', '--connect', uri, ...args];
}

export function createVirsh(options: VirshOptions): Virsh {
  return {
    async run(uri, args, { timeoutMs = options.timeoutMs } = {}) {
      const process = options.spawn(virshArgv(options, uri, args));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const result = await Promise.race([process.done, timedOut]);
      clearTimeout(timer);
      const what = `virsh ${args[0] ?? ''} on ${uri}`;
      if (result === 'timeout') {
        process.kill('SIGKILL');
        throw new TimedOut(
          `${what}: no answer within ${timeoutMs / 1000} s; it may or may not have taken effect`,
        );
      }
      if (result.code === 0) return result.stdout;
      throw virshError(result.stderr || `exit status ${result.code ?? result.signal}`, what);
    },
    start: (uri, args) => options.spawn(virshArgv(options, uri, args)),
  };
}

/** Libvirt's messages are stable enough to sort into the taxonomy; what matches none is Unavailable. */
export function virshError(stderr: string, what: string): HvpatchError {
  const message = `${what}: ${cleanMessage(stderr)}`;
  const cause = { cause: new Error(stderr) };
  if (/failed to get domain|Domain not found|no domain with matching/i.test(stderr)) {
    return new NotFound(message, cause);
  }
  if (
    /failed to connect to the hypervisor|unable to connect to server|End of file while reading|Cannot recv data|Connection reset|Connection refused|No route to host|Broken pipe|cannot run /i.test(
      stderr,
    )
  ) {
    return new Unavailable(message, cause);
  }
  if (/authentication failed|access denied|Permission denied/i.test(stderr)) {
    return new PermissionDenied(message, cause);
  }
  if (
    /Requested operation is not valid|is not running|already running|already active|Operation not supported/i.test(
      stderr,
    )
  ) {
    return new Conflict(message, cause);
  }
  return new Unavailable(message, cause);
}

/** libvirt prefixes every line with `error: `; keep the words, drop the noise. */
export function cleanMessage(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => line.replace(/^error:\s*/, '').trim())
    .filter((line) => line !== '')
    .join('; ');
}

/** Said by domjobabort when the migration has not started yet or has already ended. */
export function isNoActiveJob(error: unknown): boolean {
  return error instanceof Conflict && /no job is active/i.test(error.message);
}
