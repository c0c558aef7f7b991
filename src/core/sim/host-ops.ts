import { BadInput, Conflict, NotFound, Unavailable } from '../errors.js';
import type { LivePatch, PackageRef, RebootResult } from '../ports.js';
import { requireHost, requireUp, type SimContext } from './context.js';
import type { Job, Jobs } from './jobs.js';
import type { Migrations } from './migrations.js';
import { isKernelPackage, isQemuPackage, kernelAfterBoot, SHARED_LIBRARIES } from './packages.js';
import { bootId, type InstallTransaction, type SimHost } from './world.js';

/** Restarting these takes the guests' virtual switch down for the restart. */
const NETWORK_DAEMONS: ReadonlySet<string> = new Set(['openvswitch-switch', 'ovs-vswitchd', 'openvswitch']);
/** Restarting these cancels the migrations they drive (libvirt gives up jobs it cannot reattach to). */
const MIGRATION_DAEMONS: ReadonlySet<string> = new Set(['libvirtd', 'virtqemud']);

/** Scheduling flags, reboots, daemons, live patches and packages: what happens to one host. */
export class HostOps {
  constructor(
    private readonly ctx: SimContext,
    private readonly jobs: Jobs,
    private readonly migrations: Migrations,
  ) {}

  disable(hostId: string, reason: string): void {
    const host = requireHost(this.ctx.world, hostId);
    host.enabled = false;
    host.disabledReason = reason;
  }

  enable(hostId: string): void {
    const host = requireHost(this.ctx.world, hostId);
    host.enabled = true;
    host.disabledReason = undefined;
  }

  /** Guests still running on the host go down with it and come back when it does. */
  reboot(hostId: string): Job<RebootResult> {
    const { world, disruptions } = this.ctx;
    const host = requireHost(world, hostId);
    if (host.power === 'rebooting') throw new Conflict(`host '${host.id}' is already rebooting`);
    requireUp(host);
    const job = this.jobs.start<RebootResult>('reboot', host.id);
    const previousBootId = host.bootId;
    this.migrations.failInvolving(host.id, `host '${host.id}' rebooted`, false);
    host.power = 'rebooting';
    const now = this.ctx.now();
    for (const guestId of host.guests) {
      const guest = world.guests.get(guestId)!;
      if (guest.state !== 'running') continue;
      guest.state = 'stopped';
      guest.resumeOnBoot = true;
      guest.qemuVersion = undefined;
      disruptions.openDown('rebooted-with-host', guest.id, host.id, now, job.id);
    }
    this.ctx.schedule(host.spec.rebootDuration, 'host-boot', () => this.boot(host, job, previousBootId));
    return job;
  }

  private boot(host: SimHost, job: Job<RebootResult>, previousBootId: string): void {
    const outcome = this.ctx.faults.reboot(host.id);
    if (outcome === 'no-return') {
      host.power = 'down';
      this.jobs.fail(job, new Unavailable(`host '${host.id}' did not come back after its reboot`));
      return;
    }
    host.power = 'up';
    host.degraded = outcome === 'degraded';
    host.bootCount++;
    host.bootId = bootId(host.id, host.bootCount);
    if (host.pendingKernel !== undefined && host.runningKernel) {
      host.runningKernel = kernelAfterBoot(host.runningKernel, host.pendingKernel);
    }
    host.pendingKernel = undefined;
    host.livePatches = [];
    for (const daemon of host.daemons.values()) daemon.mapsDeletedFrom.clear();
    for (const [component, firmware] of host.firmware) {
      // A BMC activates its firmware by resetting itself, not with the host.
      if (component === 'bmc' || firmware.staged === undefined) continue;
      firmware.version = firmware.staged;
      firmware.staged = undefined;
    }
    const now = this.ctx.now();
    for (const guestId of host.guests) {
      const guest = this.ctx.world.guests.get(guestId)!;
      if (!guest.resumeOnBoot) continue;
      guest.resumeOnBoot = false;
      guest.state = 'running';
      guest.qemuVersion = host.qemuVersion;
      this.ctx.disruptions.closeDown(guest.id, now);
    }
    this.jobs.succeed(job, { previousBootId, bootId: host.bootId });
  }

  restartDaemon(hostId: string, name: string): Job {
    const { world, timings, disruptions } = this.ctx;
    const host = requireHost(world, hostId);
    requireUp(host);
    const daemon = host.daemons.get(name);
    if (!daemon) throw new NotFound(`host '${host.id}' runs no daemon '${name}'`);
    const job = this.jobs.timed('restart-daemon', host, timings.daemonRestartMs, () =>
      daemon.mapsDeletedFrom.clear(),
    );
    if (NETWORK_DAEMONS.has(name)) {
      const now = this.ctx.now();
      for (const guestId of host.guests) {
        const guest = world.guests.get(guestId)!;
        if (guest.state === 'stopped') continue;
        disruptions.record('network-blip', guest.id, host.id, now, timings.daemonRestartMs, job.id);
      }
    }
    if (MIGRATION_DAEMONS.has(name)) {
      this.migrations.failInvolving(host.id, `${name} restarted on '${host.id}'`, true);
    }
    return job;
  }

  applyLivePatch(hostId: string, patch: LivePatch): Job {
    const host = requireHost(this.ctx.world, hostId);
    requireUp(host);
    if (!host.spec.livepatch) throw new Conflict(`host '${host.id}' has no live-patch client`);
    const running = host.runningKernel?.release;
    if (patch.kernelRelease !== undefined && patch.kernelRelease !== running) {
      throw new Conflict(
        `live patch '${patch.id}' is for kernel ${patch.kernelRelease}; '${host.id}' runs ${running ?? 'an unknown kernel'}`,
      );
    }
    return this.jobs.timed('live-patch', host, this.ctx.timings.livePatchMs, () => {
      host.livePatches.push({ ...patch });
    });
  }

  installPackages(hostId: string, packages: readonly PackageRef[]): Job {
    const host = requireHost(this.ctx.world, hostId);
    requireUp(host);
    if (packages.length === 0) {
      throw new BadInput([{ path: 'packages', message: 'names no package to install' }]);
    }
    return this.withPackageLock(host, 'install-packages', packages.length, () => {
      const tx: InstallTransaction = {
        previous: new Map(),
        previousQemu: host.qemuVersion,
        nextBootKernel: host.pendingKernel ?? host.runningKernel?.version,
      };
      for (const ref of packages) {
        const before = host.packages.get(ref.name);
        if (!tx.previous.has(ref.name)) tx.previous.set(ref.name, before);
        const source = ref.source ?? before?.source;
        const installed = { name: ref.name, version: ref.version, ...(source !== undefined && { source }) };
        host.packages.set(ref.name, installed);
        if (isKernelPackage(installed, host.runningKernel)) host.pendingKernel = ref.version;
        if (isQemuPackage(installed)) host.qemuVersion = ref.version;
        this.replacedOnDisk(host, ref.name);
      }
      host.installs.push(tx);
    });
  }

  rollback(hostId: string): Job {
    const host = requireHost(this.ctx.world, hostId);
    requireUp(host);
    const tx = host.installs.at(-1);
    if (!tx) throw new Conflict(`host '${host.id}' has no package transaction to roll back`);
    // The lock keeps `tx` the last transaction until the job ends.
    return this.withPackageLock(host, 'rollback', tx.previous.size, () => {
      host.installs.pop();
      for (const [name, before] of tx.previous) {
        if (before) host.packages.set(name, before);
        else host.packages.delete(name);
        this.replacedOnDisk(host, name);
      }
      host.qemuVersion = tx.previousQemu;
      const running = host.runningKernel?.version;
      host.pendingKernel = tx.nextBootKernel !== running ? tx.nextBootKernel : undefined;
    });
  }

  /** dpkg takes one transaction at a time per host. */
  private withPackageLock(
    host: SimHost,
    kind: 'install-packages' | 'rollback',
    count: number,
    effect: () => void,
  ): Job {
    if (host.packageJob !== undefined) {
      throw new Conflict(`host '${host.id}' is busy with ${host.packageJob} (dpkg lock)`);
    }
    const { packageInstallBaseMs, packageInstallPerPackageMs } = this.ctx.timings;
    const job = this.jobs.timed(
      kind,
      host,
      packageInstallBaseMs + packageInstallPerPackageMs * count,
      effect,
      {
        finally: () => (host.packageJob = undefined),
      },
    );
    host.packageJob = job.id;
    return job;
  }

  private replacedOnDisk(host: SimHost, name: string): void {
    for (const daemon of host.daemons.values()) {
      if (daemon.package === name || SHARED_LIBRARIES.has(name)) daemon.mapsDeletedFrom.add(name);
    }
  }
}
