import { NotFound, Unavailable } from '../../core/errors.js';
import type { GuestLocation, PlatformHost } from '../../core/ports.js';
import { compareDebianVersions } from '../../core/versions/index.js';
import type { ActionRecord } from '../../store/index.js';
import type { WorkerContext } from './context.js';

/**
 * What the platform says about an action, whatever the store or the driver's last answer
 * said: the one source of truth after a crash or a lost reply (safety invariant 4).
 */
export type Probe =
  | { state: 'done'; detail?: Record<string, unknown> }
  | { state: 'not-done' }
  /** Under way on the platform: a migration still running, a host still rebooting. */
  | { state: 'in-progress'; migration?: string }
  /** It cannot happen as planned (a guest gone, a stopped guest to migrate): a person must look. */
  | { state: 'impossible'; reason: string };

/** Unreachable is an answer for a host being rebooted; other failures go to the caller's retry. */
const unreachable = (error: unknown) => error instanceof Unavailable;

/** Where the guest is; NotFound when it was deleted since planning, which no retry changes. */
async function locate(ctx: WorkerContext, guest: string): Promise<GuestLocation | undefined> {
  try {
    return await ctx.platform.locateGuest(guest);
  } catch (error) {
    if (error instanceof NotFound) return undefined;
    throw error;
  }
}

/** The host as the platform sees it; NotFound when it was removed since planning, which no retry changes. */
async function hostNamed(ctx: WorkerContext, host: string): Promise<PlatformHost | undefined> {
  try {
    return await ctx.platform.getHost(host);
  } catch (error) {
    if (error instanceof NotFound) return undefined;
    throw error;
  }
}

const gone = (guest: string): Probe => ({
  state: 'impossible',
  reason: `guest ${guest} no longer exists on the platform`,
});

export async function probe(ctx: WorkerContext, action: ActionRecord, bootIdBefore?: string): Promise<Probe> {
  const { agent } = ctx;
  const spec = action.spec;
  switch (spec.kind) {
    case 'disable':
    case 'enable': {
      const host = await hostNamed(ctx, spec.host);
      if (!host) return { state: 'impossible', reason: `the platform no longer knows host ${spec.host}` };
      return host.enabled === (spec.kind === 'enable') ? { state: 'done' } : { state: 'not-done' };
    }
    case 'migrate': {
      const where = await locate(ctx, spec.guest!);
      if (where === undefined) return gone(spec.guest!);
      if (where.state === 'migrating') return { state: 'in-progress', migration: where.migration! };
      if (where.host !== spec.host) return { state: 'done', detail: { on: where.host } };
      if (where.state === 'stopped')
        return { state: 'impossible', reason: `guest ${spec.guest} is stopped on ${spec.host}` };
      return { state: 'not-done' };
    }
    case 'stop-guest':
    case 'start-guest': {
      const where = await locate(ctx, spec.guest!);
      if (where === undefined) return gone(spec.guest!);
      if (where.state === 'migrating') return { state: 'in-progress', migration: where.migration! };
      return (where.state === 'stopped') === (spec.kind === 'stop-guest')
        ? { state: 'done' }
        : { state: 'not-done' };
    }
    case 'install': {
      const installed = new Map((await agent.installedPackages(spec.host)).map((p) => [p.name, p.version]));
      const missing = (spec.packages ?? []).filter((p) => {
        const have = installed.get(p.name);
        return have === undefined || compareDebianVersions(have, p.version) < 0;
      });
      return missing.length === 0 ? { state: 'done' } : { state: 'not-done' };
    }
    case 'restart-daemon': {
      const running = await agent.runningVersions(spec.host);
      const daemon = running.daemons.find((d) => d.name === spec.daemon);
      return daemon !== undefined && daemon.mapsDeletedFrom.length === 0
        ? { state: 'done' }
        : { state: 'not-done' };
    }
    case 'reboot': {
      try {
        const health = await agent.health(spec.host);
        if (bootIdBefore === undefined) return { state: 'not-done' };
        return health.bootId === bootIdBefore
          ? { state: 'not-done' }
          : { state: 'done', detail: { bootId: health.bootId } };
      } catch (error) {
        if (unreachable(error)) return { state: 'in-progress' };
        throw error;
      }
    }
    case 'verify':
    case 'livepatch':
      // Reading health has no effect to repeat; a live patch is checked by applying it again.
      return { state: 'not-done' };
  }
}
