import type { WorkerContext } from './context.js';
import { backoff } from './policy.js';

/**
 * Service budgets checked against the platform's current state (safety invariant 2): a guest
 * counts as disrupted while it migrates, and while it is stopped although the plan found it
 * running. Returns a release for the reservation, or undefined if the budget stayed full for
 * the whole guard wait.
 */
export async function reserveBudget(ctx: WorkerContext, guest: string): Promise<(() => void) | undefined> {
  const service = ctx.guestsById.get(guest)?.service ?? null;
  const budget = service === null ? undefined : ctx.plan.limits.serviceBudgets[service];
  if (service === null || budget === undefined) return () => undefined;
  const deadline = ctx.clock.now() + ctx.policy.guardWaitMs;
  for (let attempt = 0; ; attempt++) {
    const disrupted = await disruptedGuests(ctx, service, guest);
    if (disrupted + (ctx.reserved.get(service) ?? 0) < budget) {
      ctx.reserved.set(service, (ctx.reserved.get(service) ?? 0) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        ctx.reserved.set(service, ctx.reserved.get(service)! - 1);
      };
    }
    if (ctx.clock.now() >= deadline) return undefined;
    await ctx.clock.sleep(backoff(ctx.policy, attempt));
  }
}

async function disruptedGuests(ctx: WorkerContext, service: string, except: string): Promise<number> {
  let count = 0;
  for (const guest of await ctx.platform.listGuests()) {
    const planned = ctx.guestsById.get(guest.guest);
    if (guest.guest === except || planned?.service !== service) continue;
    if (guest.state === 'migrating' || (guest.state === 'stopped' && planned.state !== 'stopped')) count++;
  }
  return count;
}
