import { Gauge, Registry } from 'prom-client';
import type { Simulation } from '../core/sim/index.js';
import { hostStateSummary } from '../core/sim/index.js';
import type { CampaignStore, Progress } from '../store/index.js';
import type { CampaignViews } from './campaign-views.js';
import type { FleetView } from './fleet-view.js';

const SNAPSHOT_MS = 1_000;

/**
 * Prometheus metrics, read from the store and the fleet at scrape time (so they are right
 * after a restart, and nothing has to remember to update them). Its own registry: two
 * servers in one process (the tests) must not share counters.
 */
export function createMetrics({
  store,
  campaigns: views,
  view,
  sim,
}: {
  store: CampaignStore;
  campaigns: CampaignViews;
  view: FleetView;
  sim: Simulation;
}): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'hvpatch_hosts',
    help: 'Hosts of the fleet by platform state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const host of sim.hosts()) this.inc({ state: hostStateSummary(host) });
    },
  });
  new Gauge({
    name: 'hvpatch_hosts_compliant',
    help: 'Hosts with every needed fix installed and in effect',
    labelNames: ['compliant'],
    registers: [registry],
    collect() {
      const { totals } = view.compliance();
      this.set({ compliant: 'true' }, totals.compliant);
      this.set({ compliant: 'false' }, totals.nonCompliant);
    },
  });
  new Gauge({
    name: 'hvpatch_fixes_overdue',
    help: 'Needed fixes past their policy deadline',
    registers: [registry],
    collect() {
      this.set(view.compliance().totals.overdue);
    },
  });
  new Gauge({
    name: 'hvpatch_fixes_not_in_effect',
    help: 'Fixes installed but not in effect (old kernel, QEMU or daemon still running)',
    registers: [registry],
    collect() {
      this.set(view.compliance().totals.notInEffect);
    },
  });
  new Gauge({
    name: 'hvpatch_guest_downtime_seconds',
    help: 'Guest downtime caused so far (migration pauses, reboots, stops), in seconds',
    registers: [registry],
    collect() {
      let ms = 0;
      for (const d of sim.disruptions) ms += d.durationMs ?? sim.now - d.start;
      this.set(ms / 1000);
    },
  });
  // One read of the store per scrape, shared by the gauges below (the registry collects them at once).
  let snapshot: Promise<{ id: string; state: string; progress: Progress }[]> | undefined;
  const campaigns = () =>
    (snapshot ??= (async () => {
      setTimeout(() => (snapshot = undefined), SNAPSHOT_MS).unref();
      const list = await store.campaigns();
      return Promise.all(
        list.map(async (c) => ({ id: c.id, state: c.state, progress: await views.progress(c.id) })),
      );
    })());
  new Gauge({
    name: 'hvpatch_campaigns',
    help: 'Campaigns by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await campaigns()) this.inc({ state: c.state });
    },
  });
  new Gauge({
    name: 'hvpatch_campaign_hosts',
    help: 'Hosts of each campaign by campaign state',
    labelNames: ['campaign', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await campaigns())
        for (const [state, n] of Object.entries(c.progress.hosts)) this.set({ campaign: c.id, state }, n);
    },
  });
  new Gauge({
    name: 'hvpatch_campaign_actions',
    help: 'Actions of each campaign by state (failed ones are the failures)',
    labelNames: ['campaign', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await campaigns())
        for (const [state, n] of Object.entries(c.progress.actions)) this.set({ campaign: c.id, state }, n);
    },
  });
  return registry;
}
