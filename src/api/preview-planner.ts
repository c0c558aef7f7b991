import { Worker } from 'node:worker_threads';
import type { Plan, PlanningInput, Violation } from '../core/plan/index.js';

/**
 * Plans previews on a thread of their own: planning a 5,000-host fleet takes seconds of
 * CPU, and on the server's event loop it would hold up every other request meanwhile
 * (metrics scrapes, event streams, the dashboard). One thread, one job at a time: the
 * planner is single-threaded, and several at once would only share the same cores. The
 * thread starts with the planner, so that the first preview does not wait for it to load,
 * and again on the next preview should it stop.
 */
export interface PreviewPlanner {
  plan(planner: string, input: PlanningInput): Promise<{ plan: Plan; violations: Violation[] }>;
  /** Stops the thread; plans still being made fail. */
  close(): Promise<void>;
}

/** What goes to the thread and what comes back (see preview-planner.worker.ts). */
export interface PlanJob {
  id: number;
  planner: string;
  input: PlanningInput;
}
export type PlanJobAnswer =
  | { id: number; plan: Plan; violations: Violation[] }
  | { id: number; error: { message: string; stack?: string } };

// Run from the TypeScript sources (tests, `node --import tsx`), the thread must load them
// through tsx as well. Node 20 ignores `--import` in a worker's execArgv, so the thread
// registers tsx itself before it imports the worker. From the build it is plain JavaScript.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(`./preview-planner.worker.${FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url);

function startThread(): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER_URL);
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(boot, { eval: true });
}

interface Waiting {
  resolve(answer: { plan: Plan; violations: Violation[] }): void;
  reject(error: Error): void;
}

export function createPreviewPlanner(): PreviewPlanner {
  let worker: Worker | undefined;
  const waiting = new Map<number, Waiting>();
  let jobs = 0;

  const failAll = (error: Error) => {
    for (const job of waiting.values()) job.reject(error);
    waiting.clear();
  };
  // An idle thread must not keep the process alive; one at work must.
  const holdWhileBusy = () => (waiting.size > 0 ? worker?.ref() : worker?.unref());

  const thread = (): Worker => {
    if (worker !== undefined) return worker;
    const started = startThread();
    started.on('message', (answer: PlanJobAnswer) => {
      const job = waiting.get(answer.id);
      waiting.delete(answer.id);
      holdWhileBusy();
      if (job === undefined) return;
      if ('error' in answer) {
        const error = new Error(`planning failed: ${answer.error.message}`);
        if (answer.error.stack !== undefined) error.stack = answer.error.stack;
        job.reject(error);
      } else job.resolve({ plan: answer.plan, violations: answer.violations });
    });
    // A thread that died takes its jobs with it; the next preview starts a new one.
    started.on('error', (error) => {
      if (worker === started) worker = undefined;
      failAll(error);
    });
    started.on('exit', (code) => {
      if (worker === started) worker = undefined;
      failAll(new Error(`the planning thread stopped (exit code ${code})`));
    });
    worker = started;
    return started;
  };

  thread();
  holdWhileBusy();
  return {
    plan(planner, input) {
      const id = ++jobs;
      const answer = new Promise<{ plan: Plan; violations: Violation[] }>((resolve, reject) =>
        waiting.set(id, { resolve, reject }),
      );
      thread().postMessage({ id, planner, input } satisfies PlanJob);
      holdWhileBusy();
      return answer;
    },
    async close() {
      const stopping = worker;
      worker = undefined;
      await stopping?.terminate();
    },
  };
}
