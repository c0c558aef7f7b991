import { Conflict, NotFound } from '../errors.js';
import type { FirmwareApplyResult, FirmwareComponent } from '../ports.js';
import { requireHost, type SimContext } from './context.js';
import type { Job, Jobs } from './jobs.js';
import type { SimFirmware, SimHost } from './world.js';

/** Firmware through the BMC, which answers whether the host is up or not. */
export class FirmwareOps {
  constructor(
    private readonly ctx: SimContext,
    private readonly jobs: Jobs,
  ) {}

  stage(hostId: string, component: FirmwareComponent, version: string): Job {
    const { host, firmware } = this.find(hostId, component);
    return this.jobs.timed(
      'stage-firmware',
      host,
      this.ctx.timings.firmwareStageMs,
      () => {
        firmware.staged = version;
      },
      { needsHost: false },
    );
  }

  /** Only the BMC activates without a host reboot; everything else waits for the next boot. */
  apply(hostId: string, component: FirmwareComponent): Job<FirmwareApplyResult> {
    const { host, firmware } = this.find(hostId, component);
    if (firmware.staged === undefined) {
      throw new Conflict(`host '${host.id}' has no ${component} firmware staged`);
    }
    if (component !== 'bmc') {
      return this.jobs.timed('apply-firmware', host, 0, () => ({ activated: false, requiresReboot: true }), {
        needsHost: false,
      });
    }
    return this.jobs.timed(
      'apply-firmware',
      host,
      this.ctx.timings.bmcResetMs,
      () => {
        if (firmware.staged !== undefined) firmware.version = firmware.staged;
        firmware.staged = undefined;
        return { activated: true, requiresReboot: false };
      },
      { needsHost: false },
    );
  }

  private find(hostId: string, component: FirmwareComponent): { host: SimHost; firmware: SimFirmware } {
    const host = requireHost(this.ctx.world, hostId);
    const firmware = host.firmware.get(component);
    if (!firmware) throw new NotFound(`host '${host.id}' reports no ${component} firmware`);
    return { host, firmware };
  }
}
