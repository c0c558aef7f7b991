import { Conflict, Unavailable } from '../errors.js';
import { requireGuest, requireUp, type SimContext } from './context.js';
import type { Job, Jobs } from './jobs.js';
import type { SimGuest } from './world.js';

/** Stopping and starting guests in place. */
export class GuestOps {
  constructor(
    private readonly ctx: SimContext,
    private readonly jobs: Jobs,
  ) {}

  /** The guest's service is down from the request on, until it is started again. */
  stop(guestId: string): Job {
    const { world, timings, disruptions } = this.ctx;
    const guest = requireGuest(world, guestId);
    this.requireIdle(guest);
    if (guest.state !== 'running') throw new Conflict(`guest '${guest.id}' is ${guest.state}`);
    const host = world.hosts.get(guest.host)!;
    requireUp(host);
    const job = this.jobs.timed(
      'stop-guest',
      host,
      timings.guestStopMs,
      () => {
        guest.state = 'stopped';
        guest.qemuVersion = undefined;
      },
      { guest: guest.id, finally: () => (guest.busy = undefined) },
    );
    guest.busy = job.id;
    disruptions.openDown('stopped', guest.id, host.id, this.ctx.now(), job.id);
    return job;
  }

  /** Boots the guest with the QEMU now installed on its host. */
  start(guestId: string): Job {
    const { world, timings, disruptions } = this.ctx;
    const guest = requireGuest(world, guestId);
    this.requireIdle(guest);
    if (guest.state !== 'stopped') throw new Conflict(`guest '${guest.id}' is ${guest.state}`);
    const host = world.hosts.get(guest.host)!;
    if (guest.resumeOnBoot) {
      throw new Unavailable(`guest '${guest.id}' is on host '${host.id}', which is ${host.power}`);
    }
    requireUp(host);
    const job = this.jobs.timed(
      'start-guest',
      host,
      timings.guestStartMs,
      () => {
        guest.state = 'running';
        guest.qemuVersion = host.qemuVersion;
        disruptions.closeDown(guest.id, this.ctx.now());
      },
      { guest: guest.id, finally: () => (guest.busy = undefined) },
    );
    guest.busy = job.id;
    return job;
  }

  private requireIdle(guest: SimGuest): void {
    if (guest.busy !== undefined) throw new Conflict(`guest '${guest.id}' is busy with ${guest.busy}`);
    if (guest.state === 'migrating') {
      throw new Conflict(`guest '${guest.id}' is migrating (${guest.migration})`);
    }
  }
}
