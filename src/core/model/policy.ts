import { z } from 'zod';
import { IANAZone } from 'luxon';
import { CronExpressionParser } from 'cron-parser';
import { Duration, Id, Percent } from './common.js';

export const TimeZone = z
  .string()
  .min(1)
  .refine((zone) => IANAZone.isValidZone(zone), {
    message: 'is not a known IANA time zone (like Europe/Berlin, America/New_York or UTC)',
  });

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const ClockTime = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day like 22:00');

/** One weekly range: on each listed day from `start` until `end` (past midnight if end ≤ start). */
export const WeeklyRange = z.strictObject({
  days: z.array(z.enum(WEEKDAYS)).min(1, 'must name at least one day'),
  start: ClockTime,
  end: ClockTime,
});

export const Window = z
  .strictObject({
    id: Id,
    timeZone: TimeZone,
    /** Weekly ranges, or… */
    weekly: z.array(WeeklyRange).optional(),
    /** …a cron expression for each opening (`0 22 * * 1-4`) with how long it stays open. */
    cron: z
      .string()
      .refine(isCronExpression, {
        message: 'is not a cron expression (minute hour day-of-month month day-of-week)',
      })
      .optional(),
    duration: Duration.optional(),
    /** Only severities whose deadline allows emergency windows may use this one. */
    emergency: z.boolean().default(false),
    /** Limits the window to these clusters; all clusters when absent. */
    clusters: z.array(Id).optional(),
  })
  .superRefine((window, ctx) => {
    const hasWeekly = window.weekly !== undefined;
    const hasCron = window.cron !== undefined;
    if (hasWeekly === hasCron) {
      ctx.addIssue({ code: 'custom', path: [], message: 'needs exactly one of `weekly` or `cron`' });
    }
    if (hasCron && window.duration === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['duration'],
        message: 'is required with `cron`: how long each opening lasts',
      });
    }
    if (hasWeekly && window.duration !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['duration'],
        message: 'applies to `cron` windows only; weekly ranges have an end',
      });
    }
  });

function isCronExpression(text: string): boolean {
  if (text.trim().split(/\s+/).length !== 5) return false;
  try {
    CronExpressionParser.parse(text, { tz: 'UTC' });
    return true;
  } catch {
    return false;
  }
}

/** A local date-time (`2026-12-20T00:00`) read in the freeze's time zone, or an ISO instant with offset. */
const DateTime = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?$/,
    'must be an ISO 8601 date or date-time like 2026-12-20 or 2026-12-20T18:00',
  );

export const Freeze = z
  .strictObject({
    id: Id,
    from: DateTime,
    to: DateTime,
    timeZone: TimeZone.default('UTC'),
    reason: z.string().min(1),
    /** Emergency work for these severities may still run during the freeze. */
    allowSeverities: z.array(z.enum(['critical', 'high', 'medium', 'low', 'negligible'])).default([]),
  })
  .superRefine((freeze, ctx) => {
    if (freeze.to <= freeze.from)
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after `from`' });
  });

export const Concurrency = z.strictObject({
  /** Hosts out of service at once, as a percentage of the fleet. */
  fleetPercent: Percent.default(10),
  /** Hosts out of service at once in one cluster. */
  perCluster: z.number().int().positive().default(2),
  /** Hosts out of service at once in one failure domain. */
  perFailureDomain: z.number().int().positive().default(1),
  /** Live migrations at once out of or into one host (nova's default is 1). */
  migrationsPerHost: z.number().int().positive().default(1),
  /** Live migrations at once between one pair of hosts. */
  migrationsPerLink: z.number().int().positive().default(1),
});

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'negligible'] as const;
export const Severity = z.enum(SEVERITIES);

export const Deadline = z.strictObject({
  within: Duration,
  /** Work for this severity may use windows marked `emergency`. */
  emergencyWindows: z.boolean().default(false),
});

export const StageSelector = z.strictObject({
  clusters: z.array(Id).optional(),
  hosts: z.array(Id).optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

export const Stage = z
  .strictObject({
    name: Id,
    /** Which hosts belong to this stage; the last stage takes everything left. */
    select: StageSelector.optional(),
    /** For a canary: how many of the remaining hosts, or what percentage of them. */
    count: z.number().int().positive().optional(),
    percent: Percent.optional(),
    /** Split the stage into this many waves. */
    waves: z.number().int().positive().default(1),
    /** Wait this long after the stage (or each wave) before going on. */
    soak: Duration.default(0),
    /** A person must approve before the stage starts. */
    approval: z.boolean().default(false),
  })
  .superRefine((stage, ctx) => {
    if (stage.count !== undefined && stage.percent !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['percent'],
        message: 'give either `count` or `percent`, not both',
      });
    }
  });

export const FailureThresholds = z.strictObject({
  /** Halt the campaign when this many hosts have failed. */
  maxFailedHosts: z.number().int().min(0).default(3),
  /** Halt when this percentage of a stage's hosts have failed. */
  maxFailedPercentPerStage: Percent.default(10),
  /** Halt when this many live migrations have failed. */
  maxFailedMigrations: z.number().int().min(0).default(10),
});

export const Migration = z.strictObject({
  /** Longest pause allowed at the switch-over (nova's live_migration_downtime: 500 ms). */
  downtimeLimit: Duration.default(500),
  /** Pre-copy rounds before the migration counts as not converging. */
  maxIterations: z.number().int().positive().max(1000).default(30),
  /** Throttle the guest's vCPUs when pre-copy does not converge, instead of failing. */
  autoConverge: z.boolean().default(true),
  /** Abort a migration that runs longer than this per GiB of guest memory (nova: 800 s). */
  timeoutPerGiB: Duration.default(800_000),
});

/**
 * A command the engine runs for each guest a campaign has stopped anyway (cold moves, in-place
 * reboots), just before starting it again: the one moment its OS can be patched offline
 * (`virt-customize --update`, a configuration-management run against the disk) without a
 * disruption of its own. `{guest}` and `{host}` in the arguments are replaced. It must be
 * safe to run twice: after a crash the engine cannot tell whether it ran. A hook that fails
 * or times out is recorded and the guest is started all the same: it must not stay down.
 */
export const GuestPatchHook = z.strictObject({
  command: z.array(z.string().min(1)).min(1),
  /** What the plan counts for it, per guest. */
  expected: Duration.default(300_000),
  /** Killed past this. */
  timeout: Duration.default(900_000),
});

export const Policy = z.strictObject({
  $schema: z.string().optional(),
  kind: z.literal('Policy').optional(),
  name: z.string().optional(),
  windows: z.array(Window).default([]),
  freezes: z.array(Freeze).default([]),
  concurrency: Concurrency.default(Concurrency.parse({})),
  capacity: z
    .strictObject({
      /** No host may be filled past this share of its ceiling while others are evacuated. */
      evacuationCeilingPercent: Percent.default(90),
    })
    .default({ evacuationCeilingPercent: 90 }),
  deadlines: z.partialRecord(Severity, Deadline).default({}),
  stages: z.array(Stage).default([]),
  failureThresholds: FailureThresholds.default(FailureThresholds.parse({})),
  approvals: z
    .strictObject({
      /** Services whose owners must acknowledge before their guests are disrupted. */
      ownerConsent: z.array(Id).default([]),
    })
    .default({ ownerConsent: [] }),
  migration: Migration.default(Migration.parse({})),
  /** Absent: stopped guests are started again as they were. */
  guestPatchHook: GuestPatchHook.optional(),
});

export type TimeZone = z.infer<typeof TimeZone>;
export type WeeklyRange = z.infer<typeof WeeklyRange>;
export type Window = z.infer<typeof Window>;
export type Freeze = z.infer<typeof Freeze>;
export type Concurrency = z.infer<typeof Concurrency>;
export type Severity = z.infer<typeof Severity>;
export type GuestPatchHook = z.infer<typeof GuestPatchHook>;
export type Deadline = z.infer<typeof Deadline>;
export type Stage = z.infer<typeof Stage>;
export type FailureThresholds = z.infer<typeof FailureThresholds>;
export type MigrationPolicy = z.infer<typeof Migration>;
export type Policy = z.infer<typeof Policy>;
export type PolicyInput = z.input<typeof Policy>;
