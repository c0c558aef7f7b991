import type { Plan, PlanGuest, PlanHost } from '../../core/plan/index.js';
import type { Clock, GuestPatcher, HostAgent, Platform } from '../../core/ports.js';
import type { CampaignStore, HostState } from '../../store/index.js';
import type { ExecutorPolicy } from './policy.js';

/** What every part of one worker shares: the ports, the store, the plan and what it knows of the campaign. */
export interface WorkerContext {
  store: CampaignStore;
  platform: Platform;
  agent: HostAgent;
  clock: Clock;
  campaign: string;
  worker: string;
  leaseTtlMs: number;
  /** Runs before a `start-guest` whose spec says `patchGuest`; absent when none is configured. */
  guestPatcher?: GuestPatcher;
  policy: ExecutorPolicy;
  plan: Plan;
  hostsById: ReadonlyMap<string, PlanHost>;
  /** `host guest` for every planned migration, to tell a planned second move from a mistake. */
  plannedMoves: ReadonlySet<string>;
  guestsById: ReadonlyMap<string, PlanGuest>;
  /** Host states as last read from the store, refreshed every scheduling round. */
  hostStates: Map<string, HostState>;
  /**
   * Per service, the end of the last budget check this worker queued (see budget.ts): its
   * hosts check a service one at a time; the store's budget holds decide between workers.
   */
  budgetTurns: Map<string, Promise<void>>;
  /** Guests this worker is launching a migration of, per target, until the platform shows it. */
  launching: Map<string, Set<string>>;
}

export function inventory(plan: Plan) {
  return {
    plannedMoves: new Set(
      plan.actions.filter((a) => a.kind === 'migrate').map((a) => `${a.host} ${a.guest}`),
    ),
    hostsById: new Map(plan.fleet.hosts.map((h) => [h.id, h])),
    guestsById: new Map(plan.fleet.guests.map((g) => [g.id, g])),
  };
}

export const movesOnFrom = (ctx: Pick<WorkerContext, 'plannedMoves'>, host: string, guest: string) =>
  ctx.plannedMoves.has(`${host} ${guest}`);
