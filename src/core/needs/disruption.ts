import type { Host } from '../model/index.js';
import { fixKey, type Fix } from './fixes.js';
import type { InstalledSource } from './installed.js';
import { advisorySource } from './kernel.js';
import { livepatchCover, uncoveredCves } from './livepatch.js';
import type { Need } from './model.js';
import type { NeedsContext } from './context.js';
import type { FixSummary } from './summary.js';

/** The rule's class, except a kernel fix that a live patch takes into effect without a reboot. */
export function disruption(
  host: Host,
  installed: InstalledSource,
  summary: FixSummary,
  context: NeedsContext,
): Pick<Need, 'class' | 'reason' | 'livepatch'> {
  const rule = context.classifier.classify(installed.source);
  const running = host.runningKernel;
  if (rule.class !== 'reboot' || !installed.kernel || !running) return rule;
  if (advisorySource(running.source) !== installed.source) return rule;
  if (!host.livepatch) return { ...rule, reason: `${rule.reason}; this host runs no live patch client` };
  const covering = context.livepatch.covering(host.os.version, running);
  if (covering.notices.length === 0)
    return {
      ...rule,
      reason: `${rule.reason}; no Livepatch notice covers the running kernel ${running.release}`,
    };
  const key = fixKey(host.os.name, host.os.version, installed.source);
  const kernelReleased = earliestPublished(context.fixes.publishing(key, running.version));
  const cover = livepatchCover(covering, summary.cves, kernelReleased);
  if (!cover) {
    const missing = uncoveredCves(covering, summary.cves);
    const listed =
      missing.length > 3
        ? `${missing.slice(0, 3).join(', ')} and ${missing.length - 3} more`
        : missing.join(', ');
    const which = missing.length === 0 ? 'the fix names no CVE' : `none covers ${listed}`;
    return { ...rule, reason: `${rule.reason}; live patches exist for ${running.release} but ${which}` };
  }
  return {
    class: 'live-patch',
    reason: `${cover.notices.map((notice) => notice.id).join(', ')} live patch the running kernel ${running.release} for every CVE of this fix`,
    livepatch: cover,
  };
}

/** When the running kernel's version was first published, which starts its Livepatch window. */
function earliestPublished(fixes: readonly Fix[]): string | undefined {
  let earliest: string | undefined;
  for (const { advisory } of fixes) {
    const at = advisory.published;
    if (at !== undefined && (earliest === undefined || Date.parse(at) < Date.parse(earliest))) earliest = at;
  }
  return earliest;
}
