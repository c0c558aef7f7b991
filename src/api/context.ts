import type { Registry } from 'prom-client';
import type { Simulation } from '../core/sim/index.js';
import type { CampaignStore } from '../store/index.js';
import type { CampaignViews } from './campaign-views.js';
import type { FleetView } from './fleet-view.js';
import type { Previews } from './previews.js';
import type { CampaignRunner } from './sim-runner.js';

/** What the routes work with; built once by the server. */
export interface ApiContext {
  store: CampaignStore;
  view: FleetView;
  sim: Simulation;
  previews: Previews;
  runner: CampaignRunner;
  /** Progress and timelines of campaigns, kept until their audit trail moves on. */
  campaigns: CampaignViews;
  metrics: Registry;
  version: string;
}
