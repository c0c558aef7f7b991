import { existsSync } from 'node:fs';
import { Conflict } from '../core/errors.js';
import type { Fleet } from '../core/model/index.js';
import type { FaultPlan } from '../core/sim/index.js';
import { createSimEnvironment, type SimEnvironment } from '../drivers/sim/index.js';
import { keptWorldFiles, openKeptWorld } from '../drivers/sim/kept-world.js';
import type { CampaignStore, CampaignSummary } from '../store/index.js';

/** Campaigns that have acted on the world and may act on it again. */
const UNFINISHED: readonly CampaignSummary['state'][] = ['running', 'paused', 'halted', 'aborting'];

export interface ServedWorldOptions {
  fleet: Fleet;
  seed: number;
  faults?: FaultPlan;
  startTime: number;
  /** Where the world is kept across restarts; without it, it starts afresh each time. */
  dir?: string;
}

export interface ServedWorld {
  env: SimEnvironment;
  /** The world outlives this process: campaigns found running may go on in it. */
  kept: boolean;
}

/**
 * The simulated world the server's campaigns act on. Kept in `dir`, it comes back where the
 * last server left it. When `dir` keeps none yet, a store whose unfinished campaigns have
 * acted on some world is refused: they would go on in a world that does not match what they
 * did (hosts they patched unpatched, guests they moved back home).
 */
export async function openServedWorld(
  options: ServedWorldOptions,
  store: CampaignStore,
  report: (line: string) => void,
): Promise<ServedWorld> {
  const setup = {
    fleet: options.fleet,
    seed: options.seed,
    faults: options.faults ?? {},
    startTime: options.startTime,
  };
  if (options.dir === undefined) {
    const { seed, faults, startTime } = setup;
    return { env: createSimEnvironment(options.fleet, { seed, faults, startTime }), kept: false };
  }
  const files = keptWorldFiles(options.dir);
  if (!existsSync(files.setup)) {
    const campaigns = await store.campaigns();
    const unfinished = campaigns.filter((c) => UNFINISHED.includes(c.state));
    if (unfinished.length > 0)
      throw new Conflict(
        `${files.setup} is missing, yet ${describe(unfinished)} acted on the simulated world it would keep; ` +
          'in a new world they would act on hosts that are not as they left them: serve them with the directory that keeps their world',
      );
    if (campaigns.some((c) => c.state === 'completed' || c.state === 'aborted'))
      report(
        `the simulated world the finished campaigns ran on was not kept (no ${files.setup}): it starts afresh from the fleet`,
      );
  }
  const world = openKeptWorld(files, setup);
  report(
    world.created
      ? `keeping the simulated world in ${options.dir}`
      : `the simulated world is back where it was: ${world.replayed} calls replayed from ${files.journal}`,
  );
  return { env: world.env, kept: true };
}

function describe(campaigns: readonly CampaignSummary[]): string {
  const named = campaigns.map((c) => `${c.id} (${c.state})`).join(', ');
  return campaigns.length === 1 ? `campaign ${named}` : `campaigns ${named}`;
}
