/**
 * The ports: the only way the engine reaches the systems it changes. Each one is narrow on
 * purpose, so that a simulator, a small lab and each real driver (nova, libvirt, ssh+apt,
 * Redfish…) can implement it and pass the same conformance suite.
 *
 * Every method is async because real drivers do I/O. Failures are thrown as the errors of
 * `./errors.ts`: `NotFound` (no such host, guest or migration), `Conflict` (the request is
 * refused in the current state, retrying the same call will not help), `Unavailable` (the
 * system or host cannot be reached now), `TimedOut` (no answer in time: the call may or may
 * not have taken effect, so the caller must look before it retries), `BadInput`.
 */
import type { FIRMWARE_COMPONENTS, InstalledPackage, RunningKernel } from './model/index.js';

/** Virtual in the simulator, the wall clock in production; the engine never reads time otherwise. */
export interface Clock {
  /** Milliseconds since the epoch; fractional in the simulator, whose events fall between milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

// ---------------------------------------------------------------------------------------
// Platform: the virtualization manager (nova, libvirt, Proxmox…), which owns placement.

export interface PlatformHost {
  id: string;
  /** Whether the platform's scheduler may place guests here (nova's service status). */
  enabled: boolean;
  /** Why it was disabled, so that an executor can recognise the hosts it disabled itself. */
  disabledReason?: string;
  /** Whether the platform can reach the host (nova's service state up/down); false while it reboots. */
  up: boolean;
  /**
   * Capacity as the platform accounts it, including room held for incoming migrations:
   * this, not the inventory, is what decides whether a migration onto the host is accepted.
   */
  memoryCeilingMiB: number;
  memoryUsedMiB: number;
  vcpuCeiling: number;
  vcpuUsed: number;
}

export type GuestRunState = 'running' | 'stopped' | 'migrating';

/** Where a guest is now; the answer the engine trusts after a crash (safety invariant 4). */
export interface GuestLocation {
  guest: string;
  /** The host it runs on; during a migration, still the source until the switch-over. */
  host: string;
  state: GuestRunState;
  /** The migration in progress, when `state` is `migrating`. */
  migration?: MigrationId;
}

export interface PlatformGuest extends GuestLocation {
  /** The QEMU binary the running process was started from: it changes only on restart or migration. */
  qemuVersion?: string;
}

export type MigrationId = string;

export type MigrationPhase =
  /** Waiting for a free slot on the source, the target or the link between them. */
  | 'queued'
  /** Copying memory while the guest runs. */
  | 'precopy'
  /** Paused, copying the last dirty pages; can no longer be aborted. */
  | 'switchover'
  | 'completed'
  | 'failed'
  /** Aborted on request. */
  | 'aborted'
  /** Aborted by the platform for running past its completion timeout. */
  | 'timed-out';

export interface MigrationStatus {
  id: MigrationId;
  guest: string;
  source: string;
  target: string;
  phase: MigrationPhase;
  /** True once `phase` can no longer change. */
  finished: boolean;
  requestedAt: number;
  startedAt?: number;
  endedAt?: number;
  /** Pre-copy round in progress (0 is the first full copy of memory). */
  round: number;
  transferredMiB: number;
  /** Dirty memory still to send; it may grow between rounds when the guest writes fast. */
  remainingMiB: number;
  /** Share of the guest's vCPU time taken away by auto-converge, 0 when not throttled. */
  throttlePercent: number;
  /** How long the guest was paused at the switch-over, once completed. */
  downtimeMs?: number;
  /** Why it failed, in words for the operator. */
  reason?: string;
}

export interface Platform {
  listHosts(): Promise<PlatformHost[]>;
  /**
   * One host, as `listHosts` would show it, read without reading the others: what the engine
   * asks before and after each disable or enable, at any fleet size. `NotFound` when the
   * platform does not know the host.
   */
  getHost(id: string): Promise<PlatformHost>;
  /** Guests on one host, or on all hosts when `host` is absent. */
  listGuests(host?: string): Promise<PlatformGuest[]>;
  /** Keep the scheduler from placing guests on the host; guests already there stay. Idempotent. */
  disableHost(host: string, reason: string): Promise<void>;
  enableHost(host: string): Promise<void>;
  /**
   * Start a live migration onto a target chosen by the plan. Returns at once with an id;
   * the platform holds room on the target from now until the migration ends. Refused with
   * `Conflict` when the guest is not running or already moving, when it cannot be live
   * migrated, when the target is the source, disabled, down, CPU-incompatible, or full.
   */
  liveMigrate(guest: string, targetHost: string): Promise<MigrationId>;
  migrationStatus(id: MigrationId): Promise<MigrationStatus>;
  /**
   * Resolve with the final status once the migration ends, whatever the outcome: a failed
   * migration is an answer, not an error. Throws `TimedOut` if it is still running after
   * `timeoutMs` (the migration itself goes on).
   */
  waitForMigration(id: MigrationId, timeoutMs?: number): Promise<MigrationStatus>;
  /** Cancel a queued or pre-copying migration; the guest stays on the source. `Conflict` once switching over or ended. */
  abortMigration(id: MigrationId): Promise<void>;
  /** Shut the guest down and wait until it is off. */
  stopGuest(guest: string): Promise<void>;
  /** Boot the guest on its host and wait until it runs (with the host's current QEMU). */
  startGuest(guest: string): Promise<void>;
  locateGuest(guest: string): Promise<GuestLocation>;
}

// ---------------------------------------------------------------------------------------
// HostAgent: what runs on the hypervisor itself (ssh + apt, an agent, Ansible…).

export interface PackageRef {
  name: string;
  version: string;
  /** Source package, when it differs from the name (advisories name sources; it tells a kernel image from other packages). */
  source?: string;
}

/** A kernel live patch. Patches are cumulative, as Canonical Livepatch and kpatch ship them. */
export interface LivePatch {
  id: string;
  /** The `uname -r` release the patch is built for; applying it to another kernel is refused. */
  kernelRelease?: string;
  /** Kernel package version whose fixes the patch carries into the running kernel. */
  fixesVersion: string;
}

export interface RunningDaemon {
  name: string;
  /** Packages replaced on disk since the daemon started: a restart is needed for them to take effect. */
  mapsDeletedFrom: string[];
}

/** What is in effect, as opposed to what is installed: the two differ until a restart or reboot. */
export interface RunningVersions {
  /** Changes at every boot: how the engine knows a reboot really happened. */
  bootId: string;
  kernel?: RunningKernel;
  /** Live patches applied since the last boot, oldest first. */
  livePatches: LivePatch[];
  /** QEMU version of each guest process on the host, by guest id. */
  qemuByGuest: Record<string, string>;
  daemons: RunningDaemon[];
}

export interface HealthCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface HealthReport {
  healthy: boolean;
  bootId: string;
  checks: HealthCheck[];
}

export interface RebootResult {
  previousBootId: string;
  bootId: string;
}

export interface HostAgent {
  installedPackages(host: string): Promise<InstalledPackage[]>;
  runningVersions(host: string): Promise<RunningVersions>;
  /** Install (or upgrade to) these versions as one transaction that `rollback` can undo. */
  installPackages(host: string, packages: PackageRef[]): Promise<void>;
  /** `Conflict` when the host has no live-patch client or the patch is for another kernel. */
  applyLivePatch(host: string, patch: LivePatch): Promise<void>;
  /** Restart a daemon and wait until it runs again. Guest effects depend on the daemon (Open vSwitch blips the network). */
  restartDaemon(host: string, name: string): Promise<void>;
  /**
   * Reboot and wait until the host answers again. Throws `Unavailable` if it does not come
   * back. Guests still on the host go down with it: keeping them off is the engine's job.
   */
  reboot(host: string): Promise<RebootResult>;
  /** `Unavailable` when the host cannot be reached; a reachable but unwell host reports `healthy: false`. */
  health(host: string): Promise<HealthReport>;
  /** Undo the last `installPackages` transaction; `Conflict` when there is none. */
  rollback(host: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------
// Firmware: the BMC (Redfish) or a vendor tool.

export type FirmwareComponent = (typeof FIRMWARE_COMPONENTS)[number];

export interface FirmwareState {
  component: FirmwareComponent;
  version: string;
  /** Staged, to become active at the next reboot (or at `apply` where the component allows it). */
  staged?: string;
}

export interface FirmwareApplyResult {
  /** The staged version is active now (a BMC, say, resets itself without touching guests). */
  activated: boolean;
  /** It becomes active only when the host reboots. */
  requiresReboot: boolean;
}

export interface Firmware {
  inventory(host: string): Promise<FirmwareState[]>;
  stage(host: string, component: FirmwareComponent, version: string): Promise<void>;
  apply(host: string, component: FirmwareComponent): Promise<FirmwareApplyResult>;
}

/** Names of port operations, for naming a call in faults, logs and audit records. */
// Guest OS: the policy's offline patch hook (model/policy.ts GuestPatchHook).

/** Patches one stopped guest's OS before it is started again; idempotent. */
export interface GuestPatcher {
  patch(guest: string, host: string): Promise<void>;
}

export type PortOperation = keyof Platform | keyof HostAgent | keyof Firmware;
