import type { Service } from '../../core/model/index.js';
import type { Clock } from '../../core/ports.js';
import type { CampaignState, CampaignStore, HostState, StoreEvent } from '../../store/index.js';
import {
  DEFAULT_OWNERS_POLICY,
  decideOwnerSteps,
  serviceApprovalKey,
  type AffectedService,
  type OwnersDecision,
  type OwnersPolicy,
  type OwnersStep,
} from './decide.js';
import { safeUrl, type WebhookEndpoints } from './endpoints.js';
import { serviceImpacts } from './impact.js';
import { emptyLedger, foldOwnerEvents, OWNER_EVENTS, type AttemptData, type Delivery } from './ledger.js';
import { attemptOutcome, retryDelayMs } from './retry.js';
import { isGated, scheduleNotices } from './schedule.js';
import { ownerTerms } from './terms.js';
import { postWebhook } from './webhook.js';

export interface OwnerNotifierOptions {
  store: CampaignStore;
  campaign: string;
  /** The fleet's services: owners, contacts, notice periods. */
  services: readonly Service[];
  /** The policy's `approvals.ownerConsent`: services whose hosts wait for their owner's answer. */
  ownerConsent: readonly string[];
  endpoints: WebhookEndpoints;
  clock: Clock;
  policy?: Partial<OwnersPolicy>;
  /** Who the notifier's events and approvals are recorded as. */
  actor?: string;
  /** In [0, 1), for the retries' jitter. */
  random?: () => number;
  /**
   * The time signatures carry (`t=`), which receivers check against their own clock: real
   * time, also when `clock` is virtual (a simulated run notifying real owners). `clock` by default.
   */
  signingNow?: () => number;
}

export interface OwnerNotifier {
  /**
   * Disrupted services whose hosts the executor must hold (its `ownerConsent` gate list): those
   * whose owners must consent, and those with a notice period, which the notifier lets go itself
   * once the notice has been delivered and the period has run out.
   */
  readonly gatedServices: readonly string[];
  /** Gated services still held on which the notifier itself will still decide (see `OwnersDecision.awaiting`), as of its last step. */
  awaiting(): readonly string[];
  /** Does everything due now, and says when something next falls due. */
  step(): Promise<OwnersDecision>;
  /** Steps until the campaign is over and every notice settled, or `signal` aborts. */
  run(signal?: AbortSignal): Promise<void>;
}

const EVENT_PAGE = 1000;

/**
 * The I/O around `decideOwnerSteps`: reads the campaign's events, carries out the steps
 * (each one recorded as an event, so a restarted notifier picks up exactly where this one
 * stopped) and sleeps on the injected clock until the next thing falls due or the campaign
 * has news. One notifier per campaign. Throws BadInput before sending anything when a
 * disrupted service has no owner or endpoint.
 */
export async function createOwnerNotifier(options: OwnerNotifierOptions): Promise<OwnerNotifier> {
  const { store, campaign, clock, endpoints } = options;
  const policy: OwnersPolicy = { ...DEFAULT_OWNERS_POLICY, ...options.policy };
  const actor = options.actor ?? 'owners';
  const random = options.random ?? Math.random;
  const record = await store.campaign(campaign);
  const impacts = serviceImpacts(record.plan);
  const terms = ownerTerms(impacts, options.services, options.ownerConsent, endpoints);
  const gatedServices = [...terms.values()].filter(isGated).map((t) => t.service);
  const signingNow = options.signingNow ?? clock.now;
  // The plan's second 0 (never before the campaign existed), unless the campaign was set
  // running before it: the executor does not wait for the plan's start, so neither may notices.
  const plannedAnchor = Math.max(Date.parse(record.plan.startsAt), record.createdAt);
  let runningAt: number | undefined;
  const anchor = () => Math.min(plannedAnchor, runningAt ?? Number.POSITIVE_INFINITY);
  let affected: { anchorMs: number; services: AffectedService[] } | undefined;
  const affectedServices = () => {
    const anchorMs = anchor();
    if (affected?.anchorMs !== anchorMs) {
      const schedules = scheduleNotices(impacts, terms, {
        anchorMs,
        earliestMs: record.createdAt,
        minReplyMs: policy.minReplyMs,
      });
      affected = { anchorMs, services: schedules.map((schedule, i) => ({ schedule, impact: impacts[i]! })) };
    }
    return affected;
  };

  const ledger = emptyLedger();
  let campaignState: CampaignState = record.state;
  const hostStates = new Map<string, HostState>((await store.hosts(campaign)).map((h) => [h.host, h.state]));
  const approved = new Set((await store.approvals(campaign)).map((a) => a.stage));

  const readNews = async () => {
    for (;;) {
      const events = await store.events(campaign, { after: ledger.lastEventId, limit: EVENT_PAGE });
      foldOwnerEvents(ledger, events);
      events.forEach(track);
      if (events.length < EVENT_PAGE) return;
    }
  };
  const track = (event: StoreEvent) => {
    if (event.kind === 'campaign-state') {
      campaignState = event.data.to as CampaignState;
      if (campaignState === 'running') runningAt ??= event.at;
    } else if (event.kind === 'host-state' && event.host !== null)
      hostStates.set(event.host, event.data.to as HostState);
    else if (event.kind === 'stage-approved') approved.add(event.data.stage as string);
  };

  const attempt = async (delivery: Delivery) => {
    const endpoint = endpoints[delivery.owner];
    const number = delivery.attempts + 1;
    if (endpoint === undefined) {
      // Queued before a restart with other settings: nowhere to send it now.
      await store.recordEvent(
        {
          campaignId: campaign,
          actor,
          kind: OWNER_EVENTS.attempt,
          reason: `${delivery.notice} for ${delivery.service}: no endpoint for ${delivery.owner}`,
          data: {
            deliveryId: delivery.deliveryId,
            attempt: number,
            outcome: 'rejected',
            error: 'no endpoint',
          },
        },
        clock.now(),
      );
      return;
    }
    const result = await postWebhook({
      endpoint,
      deliveryId: delivery.deliveryId,
      event: `hvpatch.owner.${delivery.notice}`,
      body: delivery.body,
      nowMs: signingNow(),
      timeoutMs: policy.attemptTimeoutMs,
    });
    const outcome = attemptOutcome(result, number, policy);
    const data: AttemptData = {
      deliveryId: delivery.deliveryId,
      attempt: number,
      outcome,
      ...('status' in result ? { status: result.status } : { error: scrub(result.message, endpoint.secret) }),
      ...(outcome === 'retry'
        ? {
            nextAttemptAt:
              clock.now() +
              retryDelayMs(number, policy, random(), 'status' in result ? result.retryAfterMs : undefined),
          }
        : {}),
    };
    await store.recordEvent(
      {
        campaignId: campaign,
        actor,
        kind: OWNER_EVENTS.attempt,
        reason: `${delivery.notice} for ${delivery.service} to ${safeUrl(endpoint.url)}: ${outcome}`,
        data: { ...data },
      },
      clock.now(),
    );
  };

  const perform = async (step: OwnersStep) => {
    switch (step.type) {
      case 'queue':
        await store.recordEvent(
          {
            campaignId: campaign,
            actor,
            kind: OWNER_EVENTS.queued,
            reason: `${step.data.notice} for ${step.data.service} to ${step.data.owner}`,
            data: { ...step.data },
          },
          clock.now(),
        );
        return;
      case 'attempt':
        return attempt(step.delivery);
      case 'approve':
        await store.approveStage(
          campaign,
          serviceApprovalKey(step.service),
          step.actor ?? actor,
          clock.now(),
        );
        return;
      case 'serve':
        await store.recordEvent(
          {
            campaignId: campaign,
            actor,
            kind: OWNER_EVENTS.served,
            reason: step.reason,
            data: { ...step.data },
          },
          clock.now(),
        );
        return;
      case 'deadline':
        await store.recordEvent(
          {
            campaignId: campaign,
            actor,
            kind: OWNER_EVENTS.deadline,
            reason: step.reason,
            data: { service: step.service, decision: step.decision, hosts: step.hosts },
          },
          clock.now(),
        );
        return;
    }
  };

  let lastDecision: OwnersDecision | undefined;
  const step = async (): Promise<OwnersDecision> => {
    for (;;) {
      await readNews();
      const { anchorMs, services } = affectedServices();
      const decision = decideOwnerSteps({
        campaign,
        campaignState,
        now: clock.now(),
        anchorMs,
        services,
        ledger,
        hostStates,
        approved,
        policy,
      });
      lastDecision = decision;
      if (decision.steps.length === 0) return decision;
      for (const next of decision.steps) await perform(next);
    }
  };

  const run = async (signal?: AbortSignal) => {
    // News that comes while a step runs must not be slept through.
    let news = false;
    let wake: (() => void) | undefined;
    const unlisten = await store.watchEvents(
      campaign,
      () => {
        news = true;
        wake?.();
      },
      // Polling still finds the news; a lost watch only makes the notifier slower to see it.
      () => undefined,
    );
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      while (signal?.aborted !== true) {
        news = false;
        const decision = await step();
        if (decision.finished) return;
        if (news) continue;
        const now = clock.now();
        const until = Math.min(decision.wakeAt ?? Number.POSITIVE_INFINITY, now + policy.pollMs);
        await Promise.race([
          clock.sleep(Math.max(0, until - now)),
          new Promise<void>((resolve) => (wake = resolve)),
        ]);
        wake = undefined;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await unlisten();
    }
  };

  return {
    gatedServices,
    // Before the first step, every gated service is still to be decided on.
    awaiting: () => lastDecision?.awaiting ?? gatedServices,
    step,
    run,
  };
}

/** Defence in depth: whatever a library put in a message, the secret does not reach the store. */
function scrub(message: string, secret: string): string {
  return message.split(secret).join('[secret]');
}
