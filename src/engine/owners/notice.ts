import { createHash } from 'node:crypto';
import type { Disruption, ServiceImpact } from './impact.js';
import type { NoticeKind } from './ledger.js';
import type { ServiceSchedule } from './schedule.js';

/**
 * The webhook body owners receive (the `Hvpatch-Event` header repeats `type`). Field names
 * are a contract: new fields may be added, none renamed or removed. Times are ISO instants.
 */
export interface NoticeBody {
  type: `hvpatch.owner.${NoticeKind}`;
  /** Stable across retries and restarts: receivers drop a delivery id they have seen. */
  deliveryId: string;
  campaign: string;
  service: string;
  owner: string;
  contact: string;
  notice: NoticeKind;
  /** When the notice was queued. */
  createdAt: string;
  maintenance: {
    /** The service's hosts do not start before this. */
    notBefore: string;
    hosts: string[];
    guests: { guest: string; host: string; how: Disruption; at: string }[];
  };
  /** Whether the campaign waits for the owner's consent, and until when. */
  reply: { required: boolean; deadline: string | null };
  /** Hosts the notice is about (for `failed`), and why (for `deferred`). */
  detail?: { hosts?: string[]; reason?: string };
  message: string;
}

/** One delivery per campaign, service and kind: the same inputs always give the same id. */
export function deliveryId(campaign: string, service: string, kind: NoticeKind): string {
  const hex = createHash('sha256')
    .update(JSON.stringify([campaign, service, kind]))
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function noticeBody({
  campaign,
  kind,
  schedule,
  impact,
  anchorMs,
  notBefore,
  now,
  detail,
}: {
  campaign: string;
  kind: NoticeKind;
  schedule: ServiceSchedule;
  impact: ServiceImpact;
  anchorMs: number;
  /** When the service's hosts may start, as promised in the advance notice. */
  notBefore: number;
  now: number;
  detail?: { hosts?: string[]; reason?: string };
}): NoticeBody {
  // Waiting for the notice delays the service's first host, and every guest after it.
  const shift = notBefore - schedule.plannedStartAt;
  const guests = impact.guests.map((g) => ({ ...g, at: iso(anchorMs + g.atS * 1000 + shift) }));
  return {
    type: `hvpatch.owner.${kind}`,
    deliveryId: deliveryId(campaign, schedule.service, kind),
    campaign,
    service: schedule.service,
    owner: schedule.owner,
    contact: schedule.contact,
    notice: kind,
    createdAt: iso(now),
    maintenance: {
      notBefore: iso(notBefore),
      hosts: impact.hosts,
      guests: guests.map(({ guest, host, how, at }) => ({ guest, host, how, at })),
    },
    reply: { required: schedule.needsConsent, deadline: schedule.needsConsent ? iso(notBefore) : null },
    ...(detail === undefined ? {} : { detail }),
    message: message(
      kind,
      schedule,
      impact,
      { notBefore, firstTouch: guests[0]?.at ?? iso(notBefore) },
      detail,
    ),
  };
}

function message(
  kind: NoticeKind,
  schedule: ServiceSchedule,
  impact: ServiceImpact,
  when: { notBefore: number; firstTouch: string },
  detail: { hosts?: string[]; reason?: string } | undefined,
): string {
  const count = impact.guests.length;
  const guests =
    count === 0
      ? `the guests of ${schedule.service}`
      : `${count} guest${count === 1 ? '' : 's'} of ${schedule.service}`;
  switch (kind) {
    case 'notice': {
      if (impact.guests.length === 0)
        return `Patch maintenance of the hosts carrying guests of ${schedule.service} starts from ${iso(when.notBefore)}; none of its guests is disrupted.${consentAsk(schedule, when)}`;
      const ways = [...new Set(impact.guests.map((g) => g.how))].join(', ');
      return `Patch maintenance will touch ${guests} (${ways}) from ${when.firstTouch}.${consentAsk(schedule, when)}`;
    }
    case 'started':
      return `Patch maintenance of the hosts carrying ${guests} has started.`;
    case 'done':
      return `Patch maintenance of the hosts carrying ${guests} is done.`;
    case 'failed':
      return `Patch maintenance failed on ${detail?.hosts?.join(', ') ?? 'a host'} carrying guests of ${schedule.service}.`;
    case 'deferred':
      return `The hosts carrying ${guests} are left out of this campaign: ${detail?.reason ?? 'no answer'}.`;
  }
}

function consentAsk(schedule: ServiceSchedule, when: { notBefore: number }): string {
  return schedule.needsConsent ? ` The campaign waits for your consent until ${iso(when.notBefore)}.` : '';
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
