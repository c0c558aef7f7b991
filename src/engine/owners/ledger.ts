import type { StoreEvent } from '../../store/index.js';

/**
 * The owners' part of the audit trail, and what it adds up to. Everything the notifier knows
 * after a restart it reads back from these events: which notices were queued (with the exact
 * body, so a resend is the same message), every delivery attempt and its outcome, the
 * owners' answers, the decisions taken at deadlines, and the notice periods that ran out.
 */
export const OWNER_EVENTS = {
  queued: 'owner-notice-queued',
  attempt: 'owner-delivery-attempt',
  answer: 'owner-answer',
  deadline: 'owner-deadline',
  served: 'owner-notice-served',
} as const;

export const NOTICE_KINDS = ['notice', 'started', 'done', 'failed', 'deferred'] as const;
/** The advance notice, then progress: the first host started, all done, one failed, left out at a deadline. */
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export type Answer = 'consent' | 'refuse';
export type DeadlineDecision = 'defer' | 'proceed';
/** `retry` leaves the delivery open; the others settle it. */
export type AttemptOutcome = 'delivered' | 'retry' | 'rejected' | 'gave-up';

export interface QueuedData {
  deliveryId: string;
  service: string;
  owner: string;
  notice: NoticeKind;
  /** The JSON body, exactly as it is sent on every attempt. */
  body: string;
  /** For the advance notice: the time promised to the owner before which the service's hosts do not start. */
  notBefore?: number;
}

export interface AttemptData {
  deliveryId: string;
  attempt: number;
  outcome: AttemptOutcome;
  status?: number;
  error?: string;
  nextAttemptAt?: number;
}

/** A notice-only service's notice period ran out: its hosts may start (the approval follows). */
export interface ServedData {
  service: string;
  /** When the advance notice was delivered. */
  deliveredAt: number;
  /** When the notice period ran out: the later of the time promised and a full period after delivery. */
  notBefore: number;
}

export interface Delivery extends QueuedData {
  queuedAt: number;
  attempts: number;
  /** Absent while it is still to be delivered. */
  settled?: { outcome: Exclude<AttemptOutcome, 'retry'>; at: number };
  /** When the next attempt is due, while open. */
  nextAttemptAt: number;
}

export interface OwnerLedger {
  /** Keyed by delivery id. */
  deliveries: Map<string, Delivery>;
  /** The latest answer per service. */
  answers: Map<string, { answer: Answer; actor: string; at: number }>;
  deadlines: Map<string, { decision: DeadlineDecision; reason: string; at: number }>;
  /** Notice-only services whose notice period ran out, by service. */
  served: Map<string, { at: number; reason: string }>;
  /** Id of the last event folded in: read on from there. */
  lastEventId: number;
}

export function emptyLedger(): OwnerLedger {
  return {
    deliveries: new Map(),
    answers: new Map(),
    deadlines: new Map(),
    served: new Map(),
    lastEventId: 0,
  };
}

/** Folds events (in id order) into the ledger, in place; other kinds of events are passed over. */
export function foldOwnerEvents(ledger: OwnerLedger, events: readonly StoreEvent[]): OwnerLedger {
  for (const event of events) {
    ledger.lastEventId = Math.max(ledger.lastEventId, event.id);
    if (event.kind === OWNER_EVENTS.queued) {
      const data = event.data as unknown as QueuedData;
      if (!ledger.deliveries.has(data.deliveryId))
        ledger.deliveries.set(data.deliveryId, {
          ...data,
          queuedAt: event.at,
          attempts: 0,
          nextAttemptAt: event.at,
        });
    } else if (event.kind === OWNER_EVENTS.attempt) {
      const data = event.data as unknown as AttemptData;
      const delivery = ledger.deliveries.get(data.deliveryId);
      if (delivery === undefined || delivery.settled !== undefined) continue;
      delivery.attempts = Math.max(delivery.attempts, data.attempt);
      if (data.outcome === 'retry') delivery.nextAttemptAt = data.nextAttemptAt ?? event.at;
      else delivery.settled = { outcome: data.outcome, at: event.at };
    } else if (event.kind === OWNER_EVENTS.answer) {
      const data = event.data as { service: string; answer: Answer };
      ledger.answers.set(data.service, { answer: data.answer, actor: event.actor, at: event.at });
    } else if (event.kind === OWNER_EVENTS.deadline) {
      const data = event.data as { service: string; decision: DeadlineDecision };
      if (!ledger.deadlines.has(data.service))
        ledger.deadlines.set(data.service, {
          decision: data.decision,
          reason: event.reason ?? '',
          at: event.at,
        });
    } else if (event.kind === OWNER_EVENTS.served) {
      const data = event.data as unknown as ServedData;
      if (!ledger.served.has(data.service))
        ledger.served.set(data.service, { at: event.at, reason: event.reason ?? '' });
    }
  }
  return ledger;
}

/** Deliveries of one service, by notice kind. */
export function noticesOf(ledger: OwnerLedger, service: string): Map<NoticeKind, Delivery> {
  const byKind = new Map<NoticeKind, Delivery>();
  for (const delivery of ledger.deliveries.values())
    if (delivery.service === service) byKind.set(delivery.notice, delivery);
  return byKind;
}
