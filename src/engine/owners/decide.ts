import { formatDuration } from '../../core/duration.js';
import { SERVICE_APPROVAL, type CampaignState, type HostState } from '../../store/index.js';
import type { ServiceImpact } from './impact.js';
import {
  noticesOf,
  type DeadlineDecision,
  type Delivery,
  type NoticeKind,
  type OwnerLedger,
  type QueuedData,
  type ServedData,
} from './ledger.js';
import { deliveryId, noticeBody } from './notice.js';
import type { RetryPolicy } from './retry.js';
import { isGated, type ServiceSchedule } from './schedule.js';

export interface OwnersPolicy extends RetryPolicy {
  /** What happens to a service whose owner has not answered by the deadline. */
  onNoAnswer: DeadlineDecision;
  /** The least time an owner whose consent is needed gets to answer, whatever the notice period. */
  minReplyMs: number;
  /** One delivery attempt is abandoned (and retried) after this. */
  attemptTimeoutMs: number;
  /** How often the notifier looks at the campaign when nothing is due sooner. */
  pollMs: number;
}

export const DEFAULT_OWNERS_POLICY: OwnersPolicy = {
  onNoAnswer: 'defer',
  minReplyMs: 60 * 60_000,
  maxAttempts: 8,
  backoffMs: 10_000,
  backoffMaxMs: 30 * 60_000,
  attemptTimeoutMs: 10_000,
  pollMs: 30_000,
};

/** The approval key the executor gates a service's hosts on. */
export function serviceApprovalKey(service: string): string {
  return SERVICE_APPROVAL + service;
}

export interface AffectedService {
  schedule: ServiceSchedule;
  impact: ServiceImpact;
}

export interface OwnersView {
  campaign: string;
  campaignState: CampaignState;
  now: number;
  anchorMs: number;
  services: readonly AffectedService[];
  ledger: OwnerLedger;
  hostStates: ReadonlyMap<string, HostState>;
  /** Approval keys already approved. */
  approved: ReadonlySet<string>;
  policy: OwnersPolicy;
}

export type OwnersStep =
  | { type: 'queue'; data: QueuedData }
  | { type: 'attempt'; delivery: Delivery }
  /** `actor`: who the approval is recorded as, when not the notifier itself. */
  | { type: 'approve'; service: string; actor?: string }
  /** A notice-only service's notice period ran out after delivery: recorded; the approval follows. */
  | { type: 'serve'; data: ServedData; reason: string }
  | { type: 'deadline'; service: string; decision: DeadlineDecision; reason: string; hosts: string[] };

export interface OwnersDecision {
  /** To be carried out in this order, now. */
  steps: OwnersStep[];
  /** When something next falls due, if nothing else happens first. */
  wakeAt: number | undefined;
  /**
   * Gated services whose hosts are still held, where the notifier itself will still decide
   * (a notice period running, a notice being delivered, a deadline to come): a run whose
   * hosts all wait on gates has reason to wait while this is not empty, and none after.
   */
  awaiting: string[];
  /** Nothing is left to do for this campaign, now or later. */
  finished: boolean;
}

const TERMINAL: readonly CampaignState[] = ['aborted', 'completed'];
const STARTED: readonly HostState[] = ['active', 'done', 'failed'];

/**
 * What the notifier does next, from what the store says. Pure: the same view gives the same
 * steps, and since every step is recorded as an event before the next view is read, a
 * notice is queued at most once per service and kind, however often this runs or restarts.
 */
export function decideOwnerSteps(view: OwnersView): OwnersDecision {
  const steps: OwnersStep[] = [];
  const wakes: number[] = [];
  const awaiting: string[] = [];
  const terminal = TERMINAL.includes(view.campaignState);
  for (const service of view.services) {
    const { schedule, impact } = service;
    const notices = noticesOf(view.ledger, schedule.service);
    const queue = (
      kind: NoticeKind,
      extra: { notBefore: number; detail?: { hosts?: string[]; reason?: string } },
    ) => {
      if (notices.has(kind)) return;
      const body = noticeBody({
        campaign: view.campaign,
        kind,
        schedule,
        impact,
        anchorMs: view.anchorMs,
        now: view.now,
        ...extra,
      });
      const data: QueuedData = {
        deliveryId: deliveryId(view.campaign, schedule.service, kind),
        service: schedule.service,
        owner: schedule.owner,
        notice: kind,
        body: JSON.stringify(body),
        ...(kind === 'notice' ? { notBefore: extra.notBefore } : {}),
      };
      steps.push({ type: 'queue', data });
      notices.set(kind, { ...data, queuedAt: view.now, attempts: 0, nextAttemptAt: view.now });
    };

    const states = impact.hosts.map((host) => view.hostStates.get(host) ?? 'pending');
    const started = states.some((s) => STARTED.includes(s));
    if (!notices.has('notice') && !terminal) {
      // A host of a service that is not gated (no notice period, no consent asked, or no
      // owners to tell when the run began) may have started anyway: that makes the notice
      // late, not unnecessary.
      if (view.now >= schedule.noticeAt || started)
        queue('notice', { notBefore: Math.max(schedule.notBefore, view.now + schedule.leadMs) });
      else wakes.push(schedule.noticeAt);
    }
    const advance = notices.get('notice');
    if (advance === undefined) {
      if (isGated(schedule) && !terminal && !view.approved.has(serviceApprovalKey(schedule.service)))
        awaiting.push(schedule.service);
      continue;
    }
    const notBefore = advance.notBefore ?? schedule.notBefore;
    if (started) queue('started', { notBefore });
    const failed = impact.hosts.filter((_, i) => states[i] === 'failed');
    if (failed.length > 0) queue('failed', { notBefore, detail: { hosts: failed } });
    if (states.every((s) => s === 'done')) queue('done', { notBefore });

    if (!isGated(schedule) || terminal) continue;
    const gate = schedule.needsConsent
      ? consentStep(view, schedule.service, advance, notBefore)
      : noticeStep(view, schedule, advance, notBefore);
    if (gate.step !== undefined) steps.push(gate.step);
    if (gate.wakeAt !== undefined) wakes.push(gate.wakeAt);
    if (gate.awaiting === true) awaiting.push(schedule.service);
    const deferral = gate.step?.type === 'deadline' ? gate.step : view.ledger.deadlines.get(schedule.service);
    if (deferral?.decision === 'defer' && view.ledger.answers.get(schedule.service)?.answer !== 'consent')
      queue('deferred', {
        notBefore,
        detail: { reason: deferral.reason },
      });
  }

  let open = false;
  for (const delivery of view.ledger.deliveries.values()) {
    if (delivery.settled !== undefined) continue;
    open = true;
    if (delivery.nextAttemptAt <= view.now) steps.push({ type: 'attempt', delivery });
    else wakes.push(delivery.nextAttemptAt);
  }
  return {
    steps,
    wakeAt: wakes.length > 0 ? Math.min(...wakes) : undefined,
    awaiting,
    finished: terminal && steps.length === 0 && !open,
  };
}

interface GateStep {
  step?: OwnersStep;
  wakeAt?: number;
  /** The gate is still closed and the notifier will still decide on it. */
  awaiting?: boolean;
}

/** For a service the policy gates on its owner: approve, decide at the deadline, or wait. */
function consentStep(view: OwnersView, service: string, advance: Delivery, deadline: number): GateStep {
  if (view.approved.has(serviceApprovalKey(service))) return {};
  const answer = view.ledger.answers.get(service);
  const decided = view.ledger.deadlines.get(service);
  if (answer?.answer === 'consent')
    return { step: { type: 'approve', service, actor: answer.actor }, awaiting: true };
  if (decided?.decision === 'proceed') return { step: { type: 'approve', service }, awaiting: true };
  if (answer !== undefined || decided !== undefined) return {};
  const undeliverable = undelivered(view, service, advance);
  if (undeliverable !== undefined) return { step: undeliverable };
  if (advance.settled === undefined) return { awaiting: true };
  if (view.now < deadline) return { wakeAt: deadline, awaiting: true };
  const decision = view.policy.onNoAnswer;
  const reason =
    decision === 'defer'
      ? `no answer from ${advance.owner} by ${iso(deadline)}: the hosts stay deferred`
      : `no answer from ${advance.owner} by ${iso(deadline)}: the policy proceeds`;
  const hosts = hostsOf(view, service);
  return { step: { type: 'deadline', service, decision, reason, hosts }, awaiting: decision === 'proceed' };
}

/**
 * For a service whose owners ask for notice but not consent: its hosts are let go once the
 * notice has been delivered and the notice period has run out — counted from the delivery, so
 * that retries never shorten it, and never before the time the notice promised.
 */
function noticeStep(
  view: OwnersView,
  schedule: ServiceSchedule,
  advance: Delivery,
  notBefore: number,
): GateStep {
  const { service } = schedule;
  if (view.approved.has(serviceApprovalKey(service))) return {};
  // Recorded before a crash that came before the approval: approve, and record nothing twice.
  if (view.ledger.served.has(service)) return { step: { type: 'approve', service }, awaiting: true };
  if (view.ledger.deadlines.has(service)) return {};
  const undeliverable = undelivered(view, service, advance);
  if (undeliverable !== undefined) return { step: undeliverable };
  if (advance.settled === undefined) return { awaiting: true };
  const deliveredAt = advance.settled.at;
  const due = Math.max(notBefore, deliveredAt + schedule.leadMs);
  if (view.now < due) return { wakeAt: due, awaiting: true };
  const reason = `notice period of ${formatDuration(schedule.leadMs)} ran out after delivery at ${iso(deliveredAt)}`;
  return {
    step: { type: 'serve', data: { service, deliveredAt, notBefore: due }, reason },
    awaiting: true,
  };
}

/** An advance notice that can no longer be delivered keeps the service's hosts deferred. */
function undelivered(view: OwnersView, service: string, advance: Delivery): OwnersStep | undefined {
  if (advance.settled === undefined || advance.settled.outcome === 'delivered') return undefined;
  const reason = `the notice to ${advance.owner} could not be delivered (${advance.settled.outcome}): the hosts stay deferred`;
  return { type: 'deadline', service, decision: 'defer', reason, hosts: hostsOf(view, service) };
}

function hostsOf(view: OwnersView, service: string): string[] {
  return view.services.find((s) => s.schedule.service === service)!.impact.hosts;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
