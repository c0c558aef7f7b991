import { setTimeout as delay } from 'node:timers/promises';
import { Unavailable } from '../../core/errors.js';
import type { CampaignStore } from '../../store/index.js';

/**
 * The store, with calls retried while the database is out of reach (a server restart, a
 * failover). Store writes are idempotent for the lease that made them, so a write whose
 * reply was lost is simply made again. Real time, not the engine's clock: the database's
 * recovery takes wall-clock seconds even when the fleet runs in virtual time.
 */
export function durableStore(store: CampaignStore, delaysMs: readonly number[]): CampaignStore {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, method] of Object.entries(store) as [string, unknown][]) {
    if (typeof method !== 'function') continue;
    wrapped[name] = async (...args: unknown[]) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await (method as (...a: unknown[]) => Promise<unknown>).apply(store, args);
        } catch (error) {
          if (!(error instanceof Unavailable) || attempt >= delaysMs.length) throw error;
          await delay(delaysMs[attempt]);
        }
      }
    };
  }
  return wrapped as unknown as CampaignStore;
}

/** About half a minute of patience, doubling from 50 ms. */
export const DEFAULT_STORE_DELAYS_MS = [50, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000, 5000];
