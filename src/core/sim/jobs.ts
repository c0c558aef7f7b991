import { HvpatchError, Unavailable } from '../errors.js';
import type { SimContext } from './context.js';
import type { SimHost } from './world.js';

export type JobKind =
  | 'reboot'
  | 'restart-daemon'
  | 'live-patch'
  | 'install-packages'
  | 'rollback'
  | 'stop-guest'
  | 'start-guest'
  | 'stage-firmware'
  | 'apply-firmware';

export type JobStatus = 'running' | 'succeeded' | 'failed';

/** An operation that takes time; it settles once, with a value or an error. */
export interface Job<T = void> {
  readonly id: string;
  readonly kind: JobKind;
  readonly host: string;
  readonly guest: string | undefined;
  readonly startedAt: number;
  status: JobStatus;
  endedAt: number | undefined;
  value: T | undefined;
  error: HvpatchError | undefined;
}

export interface TimedJobOptions {
  guest?: string;
  /**
   * The job runs on the host itself, so a reboot or crash meanwhile makes it fail.
   * Firmware jobs run on the BMC and do not (default true).
   */
  needsHost?: boolean;
  /** Runs when the job ends, whatever the outcome (to release a lock). */
  finally?: () => void;
}

export class Jobs {
  readonly all = new Map<string, Job<unknown>>();

  constructor(private readonly ctx: SimContext) {}

  start<T>(kind: JobKind, host: string, guest?: string): Job<T> {
    const job: Job<T> = {
      id: this.ctx.nextId('job'),
      kind,
      host,
      guest,
      startedAt: this.ctx.now(),
      status: 'running',
      endedAt: undefined,
      value: undefined,
      error: undefined,
    };
    this.all.set(job.id, job as Job<unknown>);
    return job;
  }

  succeed<T>(job: Job<T>, value: T): void {
    job.status = 'succeeded';
    job.value = value;
    this.end(job);
  }

  fail(job: Job<unknown>, error: HvpatchError): void {
    job.status = 'failed';
    job.error = error;
    this.end(job);
  }

  /** `effect` runs after `durationMs` and gives the job's value; an `HvpatchError` it throws fails the job. */
  timed<T>(
    kind: JobKind,
    host: SimHost,
    durationMs: number,
    effect: () => T,
    options: TimedJobOptions = {},
  ): Job<T> {
    const job = this.start<T>(kind, host.id, options.guest);
    const bootId = host.bootId;
    this.ctx.schedule(durationMs, kind, () => {
      options.finally?.();
      if ((options.needsHost ?? true) && (host.power !== 'up' || host.bootId !== bootId)) {
        this.fail(job, new Unavailable(`host '${host.id}' rebooted or went down during ${kind}`));
        return;
      }
      let value: T;
      try {
        value = effect();
      } catch (error) {
        if (!(error instanceof HvpatchError)) throw error;
        this.fail(job, error);
        return;
      }
      this.succeed(job, value);
    });
    return job;
  }

  private end(job: Job<unknown>): void {
    job.endedAt = this.ctx.now();
    this.ctx.settle(job.id);
  }
}
