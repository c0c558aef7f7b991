import type { ActionRecord, HostLease } from '../../store/index.js';
import type { WorkerContext } from './context.js';

/** Events the executor records to reconcile later what only the platform can tell. */
export const REBOOT_REQUESTED = 'reboot-requested';

/**
 * The boot id a host had before the reboot action `seq` was started, recorded in the same
 * campaign's audit trail; a reboot happened if the host answers with another one. Read only
 * when a reboot's outcome is unknown, so scanning the trail is rare.
 */
export async function bootIdBefore(
  ctx: WorkerContext,
  lease: HostLease,
  seq: number,
): Promise<string | undefined> {
  let found: string | undefined;
  for (let after: number | undefined; ;) {
    const page = await ctx.store.events(ctx.campaign, {
      ...(after === undefined ? {} : { after }),
      limit: 1000,
    });
    for (const event of page)
      if (event.kind === REBOOT_REQUESTED && event.host === lease.host && event.action === seq)
        found = event.data.bootId as string;
    if (page.length < 1000) return found;
    after = page[page.length - 1]!.id;
  }
}

export const isOpen = (a: ActionRecord) => a.state === 'started' || a.state === 'unknown';
