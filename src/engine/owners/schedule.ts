import type { ServiceImpact } from './impact.js';

/** What the fleet says about a service's owners, and whether the policy asks for their consent. */
export interface OwnerTerms {
  service: string;
  owner: string;
  contact: string;
  noticePeriodMs: number;
  /** The policy gates the service's hosts on the owner's answer (`approvals.ownerConsent`). */
  needsConsent: boolean;
  /**
   * No consent asked, but a notice period: the service's hosts are gated until the notice has
   * been delivered and the period has run out (the notifier then approves them itself).
   */
  waitsForNotice: boolean;
}

/** Whether the executor must hold the service's hosts until the notifier or the owner lets them go. */
export function isGated(terms: OwnerTerms): boolean {
  return terms.needsConsent || terms.waitsForNotice;
}

export interface ServiceSchedule extends OwnerTerms {
  /** When the advance notice is due. */
  noticeAt: number;
  /** Notice the owners get before their hosts start: the notice period, or the reply time when they must answer. */
  leadMs: number;
  /** When the plan starts the first host carrying the service's guests. */
  plannedStartAt: number;
  /** The earliest the service's hosts may start given the notice: never less than `leadMs` after `noticeAt`. */
  notBefore: number;
  /** When one of its guests is first touched, once the hosts have waited for `notBefore`. */
  touchAt: number;
}

/**
 * When each affected service's owner is told, and how long its hosts must wait for it.
 * Notices go out when the notice period opens (`leadMs` before the plan reaches the service's
 * first host), not earlier, so that owners are not told of work weeks before it is near;
 * when that moment had already passed when the campaign was created, the notice goes out at
 * once and the service's hosts wait the whole lead from then. `anchorMs` is the plan's second 0.
 */
export function scheduleNotices(
  impacts: readonly ServiceImpact[],
  terms: ReadonlyMap<string, OwnerTerms>,
  {
    anchorMs,
    earliestMs,
    minReplyMs,
  }: {
    anchorMs: number;
    /** When the campaign was created: no notice goes out before there is a campaign to tell of. */
    earliestMs: number;
    minReplyMs: number;
  },
): ServiceSchedule[] {
  return impacts.map((impact) => {
    const term = terms.get(impact.service);
    if (term === undefined) throw new Error(`no owner terms for service ${impact.service}`);
    const leadMs = term.needsConsent ? Math.max(term.noticePeriodMs, minReplyMs) : term.noticePeriodMs;
    const plannedStartAt = anchorMs + impact.firstHostStartS * 1000;
    const noticeAt = Math.max(earliestMs, plannedStartAt - leadMs);
    const notBefore = Math.max(plannedStartAt, noticeAt + leadMs);
    // Waiting for the notice delays the service's first host, and its guests with it.
    const touchAt = anchorMs + impact.firstTouchS * 1000 + (notBefore - plannedStartAt);
    return { ...term, noticeAt, leadMs, plannedStartAt, notBefore, touchAt };
  });
}
