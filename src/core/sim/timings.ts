/**
 * How long simulated operations take, in one place so a scenario can override any of them.
 * Host reboots use each host's own `rebootDuration`; migrations follow the pre-copy model.
 * The defaults are typical orders of magnitude, not measurements of any one system.
 */
export interface SimTimings {
  /** Graceful guest shutdown (nova waits up to 60 s before forcing it off). */
  guestStopMs: number;
  /** Guest boot until the platform reports it running. */
  guestStartMs: number;
  /** A systemd daemon restart; for Open vSwitch it is also the guests' network outage. */
  daemonRestartMs: number;
  /** Loading a kernel live patch (stop_machine plus module load). */
  livePatchMs: number;
  /** apt transaction overhead (lock, index, triggers)… */
  packageInstallBaseMs: number;
  /** …plus unpacking and configuring each package. */
  packageInstallPerPackageMs: number;
  /** Uploading a firmware image to the BMC. */
  firmwareStageMs: number;
  /** BMC firmware activation resets the BMC only; the host keeps running. */
  bmcResetMs: number;
  /** How long a driver call hangs before it gives up with `TimedOut`. */
  apiTimeoutMs: number;
  /**
   * A live migration's fixed pause at the switch-over, besides copying the memory still
   * dirty: stopping the vCPUs, sending the device state, resuming on the destination.
   * 0 unless calibrated: it depends on the hypervisor and the guest's devices (the lab
   * measures 10–50 ms for a quiet guest under TCG).
   */
  migrationSwitchoverMs: number;
}

export const DEFAULT_TIMINGS: Readonly<SimTimings> = {
  guestStopMs: 30_000,
  guestStartMs: 20_000,
  daemonRestartMs: 3_000,
  livePatchMs: 15_000,
  packageInstallBaseMs: 30_000,
  packageInstallPerPackageMs: 5_000,
  firmwareStageMs: 120_000,
  bmcResetMs: 180_000,
  apiTimeoutMs: 60_000,
  migrationSwitchoverMs: 0,
};
