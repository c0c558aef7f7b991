import type { ActionRecord, HostLease } from '../../store/index.js';
import type { WorkerContext } from './context.js';

/** Events the executor records to reconcile later what only the platform can tell. */
export const REBOOT_REQUESTED = 'reboot-requested';

/**
 * The boot id a host had before the reboot action `seq` was started, recorded in the same
 * campaign's audit trail (the newest, should the action have been started more than once); a
 * reboot happened if the host answers with another one.
 */
export async function bootIdBefore(
  ctx: WorkerContext,
  lease: HostLease,
  seq: number,
): Promise<string | undefined> {
  const [requested] = await ctx.store.events(ctx.campaign, {
    host: lease.host,
    kind: REBOOT_REQUESTED,
    action: seq,
    newestFirst: true,
    limit: 1,
  });
  return requested?.data.bootId as string | undefined;
}

export const isOpen = (a: ActionRecord) => a.state === 'started' || a.state === 'unknown';
