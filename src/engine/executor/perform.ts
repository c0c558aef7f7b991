import { HvpatchError } from '../../core/errors.js';
import type { ActionRecord, LeaseFence } from '../../store/index.js';
import { isLeaseLost, reserveBudget } from './budget.js';
import type { WorkerContext } from './context.js';
import { migrate } from './migrate.js';
import { backoff, DISABLE_REASON } from './policy.js';
import { probe } from './probe.js';
import { failed, succeeded, type ActionResult } from './result.js';
import { settleMigration, settleReboot } from './settle.js';

/**
 * Carries out one action through the ports, started durably beforehand by the caller. Each
 * round first asks the platform whether the action already took effect (a reply lost to a
 * timeout, a worker that died after the call), so that nothing is done twice; retryable
 * failures back off exponentially, in the injected clock's time.
 */
export async function perform(
  ctx: WorkerContext,
  action: ActionRecord,
  hooks: {
    bootIdBefore?: string;
    onMigrationFailure: (why: string) => Promise<void>;
    /** The host's current lease, which budget holds are made under. */
    lease: LeaseFence;
  },
): Promise<ActionResult> {
  const { lease } = hooks;
  if (action.kind === 'migrate') return migrate(ctx, action, lease, hooks.onMigrationFailure);
  if (action.kind === 'livepatch')
    return failed('the plan names no live patch to apply (the plan format carries none yet)');
  const { policy, clock } = ctx;
  const since = clock.now();
  let last = '';
  for (let attempt = 0; attempt < policy.attempts; attempt++) {
    if (attempt > 0) await clock.sleep(backoff(policy, attempt - 1));
    try {
      const seen = await probe(ctx, action, hooks.bootIdBefore);
      if (seen.state === 'done') return succeeded(seen.detail);
      if (seen.state === 'impossible') return failed(seen.reason);
      if (seen.state === 'in-progress') {
        if (seen.migration !== undefined) await settleMigration(ctx, seen.migration, async () => undefined);
        else if (!(await settleReboot(ctx, action.host, since)))
          return failed(
            `host ${action.host} did not come back within ${policy.rebootTimeoutMs / 60_000} min`,
          );
        continue;
      }
      const result = await act(ctx, action, lease);
      if (result !== undefined) return result;
    } catch (error) {
      if (!(error instanceof HvpatchError) || isLeaseLost(error)) throw error;
      if (!error.retryable) return failed(error.message);
      last = error.message;
    }
  }
  return failed(`gave up after ${policy.attempts} attempts: ${last}`);
}

/** The call itself; undefined when only asking the platform again can tell how it went. */
async function act(
  ctx: WorkerContext,
  action: ActionRecord,
  lease: LeaseFence,
): Promise<ActionResult | undefined> {
  const { platform, agent } = ctx;
  const { host } = action;
  switch (action.kind) {
    case 'disable':
      await platform.disableHost(host, DISABLE_REASON);
      return succeeded();
    case 'enable':
      await platform.enableHost(host);
      return succeeded();
    case 'install':
      await agent.installPackages(host, action.spec.packages ?? []);
      return succeeded();
    case 'restart-daemon':
      await agent.restartDaemon(host, action.spec.daemon!);
      return succeeded();
    case 'reboot': {
      const result = await agent.reboot(host);
      return succeeded({ bootId: result.bootId });
    }
    case 'verify': {
      const health = await agent.health(host);
      if (health.healthy) return succeeded();
      const failing = health.checks.filter((c) => !c.ok).map((c) => c.name);
      return failed(`host ${host} is unhealthy: ${failing.join(', ') || 'health check failed'}`);
    }
    case 'stop-guest': {
      const release = await reserveBudget(ctx, lease, action.guest!);
      if (release === undefined) return failed(`the budget of guest ${action.guest}'s service stayed full`);
      try {
        await platform.stopGuest(action.guest!);
      } finally {
        await release();
      }
      return succeeded();
    }
    case 'start-guest':
      if (action.spec.patchGuest === true) await patchGuest(ctx, action);
      await platform.startGuest(action.guest!);
      return succeeded();
    default:
      return undefined;
  }
}

/**
 * The guest patch hook, while the guest is still stopped. Its outcome is recorded either
 * way; a failure never keeps the guest down (see the policy's GuestPatchHook).
 */
async function patchGuest(ctx: WorkerContext, action: ActionRecord): Promise<void> {
  const event = {
    campaignId: ctx.campaign,
    actor: ctx.worker,
    host: action.host,
    guest: action.guest!,
    action: action.seq,
  };
  if (ctx.guestPatcher === undefined) {
    await ctx.store.recordEvent(
      {
        ...event,
        kind: 'guest-patch-skipped',
        reason: 'the plan asks for the guest patch hook and this worker has none',
      },
      ctx.clock.now(),
    );
    return;
  }
  try {
    await ctx.guestPatcher.patch(action.guest!, action.host);
    await ctx.store.recordEvent({ ...event, kind: 'guest-patched' }, ctx.clock.now());
  } catch (error) {
    if (!(error instanceof HvpatchError)) throw error;
    await ctx.store.recordEvent(
      { ...event, kind: 'guest-patch-failed', reason: error.message },
      ctx.clock.now(),
    );
  }
}
