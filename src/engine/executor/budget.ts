import { Conflict } from '../../core/errors.js';
import type { LeaseFence } from '../../store/index.js';
import type { WorkerContext } from './context.js';
import { backoff } from './policy.js';

/** Ends a budget reservation: once the platform shows the disruption, or the launch failed. */
export type BudgetRelease = () => Promise<void>;

/**
 * Service budgets (safety invariant 2), across every worker sharing the campaign. The guest is
 * held in the store first, then the holds of every worker are read, then the platform: a
 * guest counts as disrupted while it is held, migrates, or is stopped although the plan found
 * it running. The hold is let go of by the caller only once the platform shows the disruption,
 * so whoever reads holds and then the platform sees each disruption at least once; two workers
 * holding at once see each other's hold and both back off, after waits jittered per worker so
 * that they do not meet again. Returns the release, or undefined if the budget stayed full
 * for the whole guard wait.
 */
export async function reserveBudget(
  ctx: WorkerContext,
  lease: LeaseFence,
  guest: string,
): Promise<BudgetRelease | undefined> {
  const service = ctx.guestsById.get(guest)?.service ?? null;
  const budget = service === null ? undefined : ctx.plan.limits.serviceBudgets[service];
  if (service === null || budget === undefined) return async () => undefined;
  const { clock } = ctx;
  const deadline = clock.now() + ctx.policy.guardWaitMs;
  for (let attempt = 0; ; attempt++) {
    // The platform alone may show the budget full already: then there is no need to hold and
    // read the store (a saving that counts while many hosts queue for one service).
    if ((await disruptedGuests(ctx, service, guest, new Set())) < budget) {
      const release = await tryReserve(ctx, lease, service, guest, budget);
      if (release !== undefined) return release;
    }
    if (clock.now() >= deadline) return undefined;
    await clock.sleep(jittered(backoff(ctx.policy, attempt), `${ctx.worker} ${guest} ${attempt}`));
  }
}

/** Hold, read every hold, read the platform: the release if the budget has room, else undefined. */
async function tryReserve(
  ctx: WorkerContext,
  lease: LeaseFence,
  service: string,
  guest: string,
  budget: number,
): Promise<BudgetRelease | undefined> {
  const { store } = ctx;
  const endTurn = await takeTurn(ctx.budgetTurns, service);
  const release = once(async () => {
    endTurn();
    await store.releaseBudget(lease, guest);
  });
  let going = false;
  try {
    const hold = await holdFenced(ctx, lease, service, guest);
    // Held by another host's lease (two hosts taking the guest for theirs): not ours to disrupt now.
    if (hold.host === lease.host && hold.worker === lease.worker && hold.epoch === lease.epoch) {
      const held = new Set((await store.budgetHolds(ctx.campaign, service)).map((h) => h.guest));
      const others = held.size - (held.has(guest) ? 1 : 0);
      going = others + (await disruptedGuests(ctx, service, guest, held)) < budget;
    }
  } finally {
    if (!going) await release();
  }
  return going ? release : undefined;
}

/**
 * Conflicts the store's fence raised in a budget check: the host's lease is lost (expired or
 * taken over). Unlike a Conflict from the platform they end the host's run, not the action,
 * which the next holder of the host reconciles.
 */
const leaseLost = new WeakSet<Conflict>();

export const isLeaseLost = (error: unknown): boolean => error instanceof Conflict && leaseLost.has(error);

async function holdFenced(ctx: WorkerContext, lease: LeaseFence, service: string, guest: string) {
  try {
    return await ctx.store.holdBudget(lease, service, guest, ctx.clock.now());
  } catch (error) {
    if (error instanceof Conflict) leaseLost.add(error);
    throw error;
  }
}

/** Guests of `service` the platform shows disrupted, other than `except` and those held (counted already). */
async function disruptedGuests(
  ctx: WorkerContext,
  service: string,
  except: string,
  held: ReadonlySet<string>,
): Promise<number> {
  let count = 0;
  for (const guest of await ctx.platform.listGuests()) {
    const planned = ctx.guestsById.get(guest.guest);
    if (guest.guest === except || held.has(guest.guest) || planned?.service !== service) continue;
    if (guest.state === 'migrating' || (guest.state === 'stopped' && planned.state !== 'stopped')) count++;
  }
  return count;
}

/**
 * Waits for this worker's previous budget check on `service` to end, and returns the end of
 * this one. One check at a time per service within a worker: its own hosts would otherwise
 * hold at once, see each other and all back off, where one of them could have gone.
 */
async function takeTurn(turns: Map<string, Promise<void>>, service: string): Promise<() => void> {
  const previous = turns.get(service) ?? Promise.resolve();
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  const tail = previous.then(() => ended);
  turns.set(service, tail);
  void tail.then(() => {
    if (turns.get(service) === tail) turns.delete(service);
  });
  await previous;
  return end;
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

/**
 * Between half and one and a half times `ms`, by a hash of `key` (FNV-1a): deterministic for
 * a run, yet different for two workers that backed off from each other at the same instant.
 */
function jittered(ms: number, key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return Math.round(ms * (0.5 + hash / 2 ** 32));
}
