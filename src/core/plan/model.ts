import { z } from 'zod';

/**
 * The plan file (`hvpatch plan --out plan.json`): self-contained and replayable, so that
 * users can review and archive it and other tools can check it without hvpatch's model.
 * Field names here are a contract; new fields may be added, none renamed or removed.
 */

export const PlanHost = z.object({
  id: z.string(),
  cluster: z.string(),
  failureDomain: z.string(),
  vcpu: z.number().int().positive(),
  memoryMiB: z.number().int().positive(),
  /** The limits the plan respected: vCPUs and memory guests may use, after overcommit and reservations. */
  vcpuCeiling: z.number().int().min(0),
  memoryCeilingMiB: z.number().int().min(0),
  /** Live migration only between hosts of one group (CPU baseline). */
  migrationGroup: z.string(),
  /** QEMU installed now, and after the plan's install: never migrate to an older one. */
  qemuVersion: z.string(),
  qemuVersionAfter: z.string(),
  /** Migration NIC, for predicted migration durations. */
  migrationBandwidthGbps: z.number().positive(),
  /**
   * Out of scheduling before the campaign (RMA, tests, maintenance): nothing may migrate onto
   * it, and the plan may leave it disabled. Absent: enabled.
   */
  disabled: z.boolean().optional(),
});

export const PlanGuest = z.object({
  id: z.string(),
  /** Where it starts. */
  host: z.string(),
  vcpu: z.number().int().positive(),
  memoryMiB: z.number().int().positive(),
  service: z.string().nullable(),
  antiAffinityGroup: z.string().nullable(),
  affinityGroup: z.string().nullable(),
  migratable: z.enum(['live', 'cold', 'none']),
  dirtyRateMiBps: z.number().min(0),
  /** A stopped guest holds its room but is not disrupted by a reboot. Absent: running. */
  state: z.enum(['running', 'stopped']).optional(),
});

export const PlanLimits = z.object({
  /** Hosts out of service at once (from their `disable` to their `enable`). */
  maxHostsOut: z.object({
    fleet: z.number().int().min(0),
    cluster: z.number().int().min(0),
    failureDomain: z.number().int().min(0),
  }),
  /** Per service: guests disrupted at once (a running migration counts, a stopped guest until it runs again). */
  serviceBudgets: z.record(z.string(), z.number().int().min(0)),
  /** Live migrations at once out of or into one host. */
  migrationsPerHost: z.number().int().positive(),
  /** Live migrations at once between one pair of hosts. */
  migrationsPerLink: z.number().int().positive(),
  /** Share (0–100) of a host's ceilings that may be filled while others are evacuated. */
  evacuationCeilingPercent: z.number().min(0).max(100),
  /**
   * Per host, the stretches `[startS, endS]` (seconds from the campaign start, sorted,
   * disjoint) in which it may be worked on: its cluster's maintenance windows less the
   * freezes, as the policy has them for the severity of its fixes. A host's work (its
   * actions but installs, which may run in the background) starts inside one stretch and is
   * expected to end in it (see check-windows.ts). Only stretches opening before the plan
   * ends are listed. Absent when the policy has neither windows nor freezes; a host absent
   * from it may be worked on at any time.
   */
  hostWindows: z.record(z.string(), z.array(z.tuple([z.number().min(0), z.number().min(0)]))).optional(),
});

export const ACTION_KINDS = [
  'disable',
  'migrate',
  'install',
  'livepatch',
  'restart-daemon',
  'reboot',
  'verify',
  'enable',
  'stop-guest',
  'start-guest',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export const PlanAction = z.object({
  kind: z.enum(ACTION_KINDS),
  host: z.string(),
  /** For migrate, stop-guest and start-guest. */
  guest: z.string().optional(),
  /** Target host of a migrate. */
  to: z.string().optional(),
  /** Seconds from campaign start. */
  startS: z.number().min(0),
  endS: z.number().min(0),
  /** For install: the packages and versions. */
  packages: z.array(z.object({ name: z.string(), version: z.string() })).optional(),
  /** For restart-daemon. */
  daemon: z.string().optional(),
  /** Stage name and wave number, for display and approvals. */
  stage: z.string().optional(),
  wave: z.number().int().min(0).optional(),
  /** For start-guest: run the policy's guest patch hook first, while the guest is stopped anyway. */
  patchGuest: z.boolean().optional(),
  /**
   * For a migrate that moves a guest again: why. A justified second move is reported as a
   * notice, an unexplained one as a violation of "moves at most once".
   */
  reason: z.string().optional(),
});

/**
 * Infrastructure around the hypervisors (DNS, directory servers, storage arrays, switches),
 * patched in order and never two members of one redundancy group at once. `after*` and
 * `before*` are the fleet's `patchAfter`/`patchBefore`, split by what they name.
 */
export const PlanComponent = z.object({
  id: z.string(),
  kind: z.string(),
  redundancyGroup: z.string().nullable(),
  /** Components patched before this one starts. */
  afterComponents: z.array(z.string()),
  /** Clusters whose hosts are all through before this one starts. */
  afterClusters: z.array(z.string()),
  /** Clusters none of whose hosts starts before this one is patched. */
  beforeClusters: z.array(z.string()),
});

/**
 * `restart` is the step that takes a component out of service in its redundancy group (a
 * VM's reboot, an array controller's takeover and giveback around its firmware activation,
 * a switch's reload); it is out until its `verify` ends.
 */
export const COMPONENT_ACTION_KINDS = ['install', 'restart', 'verify'] as const;

export const ComponentAction = z.object({
  kind: z.enum(COMPONENT_ACTION_KINDS),
  component: z.string(),
  startS: z.number().min(0),
  endS: z.number().min(0),
  /** For install: the packages and versions. */
  packages: z.array(z.object({ name: z.string(), version: z.string() })).optional(),
  /** For restart: the staged firmware versions it activates. */
  firmware: z.array(z.object({ component: z.string(), version: z.string() })).optional(),
});

export const STRATEGIES = [
  'none',
  'live-patch',
  'restart-daemons',
  'evacuate-reboot',
  'in-place-reboot',
  'defer-activation',
] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const HostStrategy = z.object({
  host: z.string(),
  strategy: z.enum(STRATEGIES),
  /** One sentence an operator can check. */
  explanation: z.string(),
});

export const Plan = z.object({
  version: z.literal(1),
  planner: z.string(),
  /** ISO instant the campaign's second 0 maps to. */
  startsAt: z.string(),
  /**
   * Present when the plan runs the policy's guest patch hook: the seconds it counts for it
   * in each `start-guest` (those actions say `patchGuest`).
   */
  guestPatchS: z.number().min(0).optional(),
  fleet: z.object({
    hosts: z.array(PlanHost),
    guests: z.array(PlanGuest),
    /** Present when the plan patches supporting components. */
    components: z.array(PlanComponent).optional(),
  }),
  limits: PlanLimits,
  strategies: z.array(HostStrategy),
  actions: z.array(PlanAction),
  deferred: z.array(z.object({ host: z.string(), reason: z.string() })),
  /** The components' own timeline, on the same clock as `actions`. */
  componentActions: z.array(ComponentAction).optional(),
  deferredComponents: z.array(z.object({ component: z.string(), reason: z.string() })).optional(),
  summary: z.object({
    makespanS: z.number().min(0),
    migrations: z.number().int().min(0),
    guestDowntimeS: z.number().min(0),
    lowerBound: z.object({ makespanS: z.number().min(0), migrations: z.number().int().min(0) }),
  }),
});

export type PlanHost = z.infer<typeof PlanHost>;
export type PlanGuest = z.infer<typeof PlanGuest>;
export type PlanLimits = z.infer<typeof PlanLimits>;
export type PlanAction = z.infer<typeof PlanAction>;
export type HostStrategy = z.infer<typeof HostStrategy>;
export type PlanComponent = z.infer<typeof PlanComponent>;
export type ComponentAction = z.infer<typeof ComponentAction>;
export type Plan = z.infer<typeof Plan>;
