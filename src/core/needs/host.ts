import type { Guest, Host } from '../model/index.js';
import { compareDebianVersions } from '../versions/index.js';
import type { NeedsContext } from './context.js';
import { disruption } from './disruption.js';
import { fixKey, type Fix } from './fixes.js';
import { installedSources, installedSourcesNamed, type InstalledSource } from './installed.js';
import { advisorySource } from './kernel.js';
import type { HostNeeds, Need } from './model.js';
import { findNotInEffect, heldBackFixes, type Holders } from './not-in-effect.js';
import { complianceReasons } from './reasons.js';
import { summarise, type FixSummary } from './summary.js';

/** `guests` are the guests placed on `host`. */
export function hostNeeds(host: Host, guests: readonly Guest[], context: NeedsContext): HostNeeds {
  const sources = installedSources(host);
  const notInEffect = findNotInEffect(host, guests, sources);
  const restarting = daemonsBySource(host);
  const running = host.runningKernel;
  const needs: Need[] = [];
  for (const installed of sources) {
    const key = fixKey(host.os.name, host.os.version, installed.source);
    if (!context.fixes.has(key)) continue;
    const missing = context.fixes.missingAt(key, installed.version);
    if (missing.length > 0) {
      const runningKernel =
        running && advisorySource(running.source) === installed.source ? running.version : undefined;
      const daemons = restarting.get(installed.source);
      const holders = { ...(runningKernel && { runningKernel }), ...(daemons && { daemons }) };
      needs.push(need(host, installed, missing, true, context, holders));
    }
    for (const held of heldBackFixes(host, installed, key, notInEffect, guests, context.fixes)) {
      if (held.fixes.length > 0) needs.push(need(host, installed, held.fixes, false, context, held));
    }
  }
  const reasons = complianceReasons(needs, notInEffect);
  return {
    host: host.id,
    os: `${host.os.name} ${host.os.version}${host.os.pro ? ' Pro' : ''}`,
    compliant: reasons.length === 0,
    reasons,
    needs,
    notInEffect,
  };
}

function need(
  host: Host,
  installed: InstalledSource,
  fixes: readonly Fix[],
  inEffect: boolean,
  context: NeedsContext,
  holders: Holders,
): Need {
  const summary = summaryOf(fixes, context);
  const guests = holders.guests?.filter(
    (guest) => compareDebianVersions(guest.qemuVersion!, summary.fixed) < 0,
  );
  return {
    host: host.id,
    package: installed.source,
    installed: installed.version,
    fixed: summary.fixed,
    advisories: summary.advisories,
    cves: summary.cves,
    severity: summary.severity,
    ...(summary.cvss !== undefined && { cvss: summary.cvss }),
    ...(summary.ubuntuPriority !== undefined && { ubuntuPriority: summary.ubuntuPriority }),
    ...(summary.published !== undefined && { published: summary.published }),
    due: summary.due === undefined ? null : new Date(summary.due).toISOString(),
    overdue: summary.due !== undefined && summary.due < context.now,
    ...disruption(host, installed, summary, context),
    inEffect,
    needsPro: summary.anyPro && !host.os.pro,
    ...(holders.runningKernel !== undefined && { runningKernel: holders.runningKernel }),
    ...(guests !== undefined && { guests: guests.map((guest) => guest.id) }),
    ...(holders.daemons !== undefined && { daemons: holders.daemons }),
  };
}

function summaryOf(fixes: readonly Fix[], context: NeedsContext): FixSummary {
  let summary = context.summaries.get(fixes);
  if (summary === undefined) {
    summary = summarise(fixes, context.deadlines);
    context.summaries.set(fixes, summary);
  }
  return summary;
}

/** Daemons that take a fix of their package into effect when restarted. */
function daemonsBySource(host: Host): Map<string, string[]> {
  const bySource = new Map<string, string[]>();
  for (const daemon of host.daemons) {
    if (daemon.package === undefined) continue;
    const [source] = installedSourcesNamed(host, [daemon.package]);
    const list = bySource.get(source!);
    if (list) list.push(daemon.name);
    else bySource.set(source!, [daemon.name]);
  }
  return bySource;
}
