import { spawn } from 'node:child_process';

export interface ProcessResult {
  /** null when the process was ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningProcess {
  done: Promise<ProcessResult>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts a program from an argument array: never through a shell, so no argument is ever parsed as shell text. */
export type SpawnProcess = (argv: readonly string[]) => RunningProcess;

/** Output beyond this is dropped: virsh answers are small, and a runaway one must not eat memory. */
const MAX_OUTPUT = 4 * 1024 * 1024;

export const spawnProcess: SpawnProcess = (argv) => {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error('spawnProcess: empty argument list');
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const done = new Promise<ProcessResult>((resolve) => {
    child.on('error', (error) =>
      resolve({ code: 127, signal: null, stdout: '', stderr: `cannot run ${program}: ${error.message}` }),
    );
    child.on('close', (code, signal) => resolve({ code, signal, stdout: stdout(), stderr: stderr() }));
  });
  return {
    done,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
};

function collect(stream: NodeJS.ReadableStream): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    if (size >= MAX_OUTPUT) return;
    chunks.push(chunk);
    size += chunk.length;
  });
  return () => Buffer.concat(chunks).toString('utf8');
}
