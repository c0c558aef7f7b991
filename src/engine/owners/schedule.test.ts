import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CampaignState, HostState, StoreEvent } from '../../store/index.js';
import {
  DEFAULT_OWNERS_POLICY,
  decideOwnerSteps,
  serviceApprovalKey,
  type AffectedService,
  type OwnersPolicy,
} from './decide.js';
import type { ServiceImpact } from './impact.js';
import {
  emptyLedger,
  foldOwnerEvents,
  OWNER_EVENTS,
  type AttemptOutcome,
  type QueuedData,
} from './ledger.js';
import { retryDelayMs } from './retry.js';
import { isGated, scheduleNotices, type OwnerTerms } from './schedule.js';

const ANCHOR = Date.parse('2026-01-05T22:00:00Z');
const HOUR = 3_600_000;

const serviceArb = fc.record({
  firstHostStartS: fc.integer({ min: 0, max: 3 * 86_400 }),
  touchAfterS: fc.integer({ min: 0, max: 3_600 }),
  noticePeriodMs: fc.integer({ min: 0, max: 72 }).map((h) => h * HOUR),
  needsConsent: fc.boolean(),
  hosts: fc.integer({ min: 1, max: 3 }),
});

function affected(specs: readonly ServiceSpec[], minReplyMs: number, earliestMs: number): AffectedService[] {
  const impacts: ServiceImpact[] = specs.map((spec, i) => ({
    service: `svc-${i}`,
    hosts: Array.from({ length: spec.hosts }, (_, h) => `h-${i}-${h}`),
    guests: [
      {
        guest: `g-${i}`,
        host: `h-${i}-0`,
        how: 'live-migration',
        atS: spec.firstHostStartS + spec.touchAfterS,
      },
    ],
    firstHostStartS: spec.firstHostStartS,
    firstTouchS: spec.firstHostStartS + spec.touchAfterS,
  }));
  const terms = new Map<string, OwnerTerms>(
    specs.map((spec, i) => [
      `svc-${i}`,
      {
        service: `svc-${i}`,
        owner: `owner-${i}`,
        contact: `owner-${i}@example.org`,
        noticePeriodMs: spec.noticePeriodMs,
        needsConsent: spec.needsConsent,
        waitsForNotice: !spec.needsConsent && spec.noticePeriodMs > 0,
      },
    ]),
  );
  const schedules = scheduleNotices(impacts, terms, { anchorMs: ANCHOR, earliestMs, minReplyMs });
  return schedules.map((schedule, i) => ({ schedule, impact: impacts[i]! }));
}
type ServiceSpec = typeof serviceArb extends fc.Arbitrary<infer T> ? T : never;

describe('scheduleNotices', () => {
  it('gives every owner the notice period before the guests are touched, and no more than the lead ahead', () => {
    fc.assert(
      fc.property(
        fc.array(serviceArb, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 4 * HOUR }),
        fc.integer({ min: 0, max: 96 * HOUR }),
        (specs, minReplyMs, createdBeforeMs) => {
          const earliest = ANCHOR - createdBeforeMs;
          for (const { schedule } of affected(specs, minReplyMs, earliest)) {
            // Never after the guests are touched, and never with less than the notice period.
            expect(schedule.noticeAt).toBeLessThanOrEqual(schedule.touchAt);
            expect(schedule.touchAt - schedule.noticeAt).toBeGreaterThanOrEqual(schedule.noticePeriodMs);
            expect(schedule.notBefore - schedule.noticeAt).toBeGreaterThanOrEqual(schedule.leadMs);
            expect(schedule.leadMs).toBeGreaterThanOrEqual(schedule.noticePeriodMs);
            if (schedule.needsConsent) expect(schedule.leadMs).toBeGreaterThanOrEqual(minReplyMs);
            // Never before the notice period opens, nor before the campaign.
            expect(schedule.noticeAt).toBeGreaterThanOrEqual(schedule.plannedStartAt - schedule.leadMs);
            expect(schedule.noticeAt).toBeGreaterThanOrEqual(earliest);
            // The hosts wait only as long as the notice needs.
            expect(schedule.notBefore).toBe(
              Math.max(schedule.plannedStartAt, schedule.noticeAt + schedule.leadMs),
            );
          }
        },
      ),
    );
  });

  it('delays a service whose notice period has already begun when the campaign starts', () => {
    const [late] = affected(
      [{ firstHostStartS: 600, touchAfterS: 60, noticePeriodMs: 2 * HOUR, needsConsent: false, hosts: 1 }],
      0,
      ANCHOR,
    );
    expect(late!.schedule.noticeAt).toBe(ANCHOR);
    expect(late!.schedule.notBefore).toBe(ANCHOR + 2 * HOUR);
    expect(late!.schedule.touchAt).toBe(ANCHOR + 2 * HOUR + 60_000);
  });
});

/** What happens around the notifier in one random run: when owners answer, how hosts end, how endpoints reply. */
const runArb = fc.record({
  services: fc.array(serviceArb, { minLength: 1, maxLength: 4 }),
  createdBeforeMs: fc.integer({ min: 0, max: 96 }).map((h) => h * HOUR),
  /** The notifier was down at first: its notices come late. */
  notifierDownMs: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 0, max: 96 }).map((h) => h * HOUR),
  ),
  answers: fc.array(
    fc.record({
      answer: fc.constantFrom('none', 'consent', 'refuse'),
      afterMs: fc.integer({ min: 0, max: 6 * HOUR }),
    }),
    { minLength: 4, maxLength: 4 },
  ),
  hostDelayMs: fc.array(fc.integer({ min: 0, max: 2 * HOUR }), { minLength: 12, maxLength: 12 }),
  hostFails: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  replies: fc.array(
    fc.constantFrom<'ok' | 'server-error' | 'client-error'>('ok', 'ok', 'server-error', 'client-error'),
    { maxLength: 30 },
  ),
  onNoAnswer: fc.constantFrom<'defer' | 'proceed'>('defer', 'proceed'),
});

type RunSpec = typeof runArb extends fc.Arbitrary<infer T> ? T : never;

describe('decideOwnerSteps', () => {
  it('sends one notice per service and kind, the advance notice a full notice period before any host starts', () => {
    fc.assert(
      fc.property(runArb, (run) => {
        const policy: OwnersPolicy = { ...DEFAULT_OWNERS_POLICY, onNoAnswer: run.onNoAnswer, maxAttempts: 3 };
        const services = affected(run.services, policy.minReplyMs, ANCHOR - run.createdBeforeMs);
        const trail = simulate(run, services, policy);
        const queued = trail.events
          .filter((e) => e.kind === OWNER_EVENTS.queued)
          .map((e) => e.data as unknown as QueuedData & { at: number });
        const keys = queued.map((q) => `${q.service}/${q.notice}`);
        expect(new Set(keys).size).toBe(keys.length);
        for (const { schedule, impact } of services) {
          const mine = trail.events.filter(
            (e) => e.kind === OWNER_EVENTS.queued && e.data.service === schedule.service,
          );
          const advance = mine.find((e) => e.data.notice === 'notice');
          const starts = impact.hosts.flatMap((h) =>
            trail.startedAt.has(h) ? [trail.startedAt.get(h)!] : [],
          );
          if (starts.length > 0) {
            expect(advance).toBeDefined();
            expect(Math.min(...starts) - advance!.at).toBeGreaterThanOrEqual(schedule.noticePeriodMs);
            expect(mine.some((e) => e.data.notice === 'started')).toBe(true);
          }
          // Progress is told only after the advance notice.
          for (const e of mine) if (e.data.notice !== 'notice') expect(e.id).toBeGreaterThan(advance!.id);
          if (advance !== undefined)
            expect(advance.at).toBeGreaterThanOrEqual(schedule.plannedStartAt - schedule.leadMs);
          if (schedule.needsConsent && starts.length > 0) {
            const answer = trail.events.find(
              (e) => e.kind === OWNER_EVENTS.answer && e.data.service === schedule.service,
            );
            const deadline = trail.events.find(
              (e) => e.kind === OWNER_EVENTS.deadline && e.data.service === schedule.service,
            );
            expect(answer?.data.answer === 'consent' || deadline?.data.decision === 'proceed').toBe(true);
          }
          if (schedule.needsConsent && trail.deliveredAdvance.get(schedule.service) !== true)
            expect(trail.approved.has(serviceApprovalKey(schedule.service))).toBe(
              trail.events.some(
                (e) =>
                  e.kind === OWNER_EVENTS.answer &&
                  e.data.service === schedule.service &&
                  e.data.answer === 'consent',
              ),
            );
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('decideOwnerSteps for services that ask for notice, not consent', () => {
  it('lets their hosts start only a full notice period after the notice was delivered, and approves once', () => {
    fc.assert(
      fc.property(runArb, (run) => {
        const policy: OwnersPolicy = { ...DEFAULT_OWNERS_POLICY, onNoAnswer: run.onNoAnswer, maxAttempts: 3 };
        const services = affected(run.services, policy.minReplyMs, ANCHOR - run.createdBeforeMs);
        const trail = simulate(run, services, policy);
        for (const { schedule, impact } of services) {
          if (!schedule.waitsForNotice) continue;
          const approvals = trail.approvals.filter((a) => a.service === schedule.service);
          expect(approvals.length).toBeLessThanOrEqual(1);
          const served = trail.events.filter(
            (e) => e.kind === OWNER_EVENTS.served && e.data.service === schedule.service,
          );
          expect(served).toHaveLength(approvals.length);
          const advance = [...trail.events].find(
            (e) =>
              e.kind === OWNER_EVENTS.queued &&
              e.data.service === schedule.service &&
              e.data.notice === 'notice',
          );
          const delivered = trail.events.find(
            (e) =>
              e.kind === OWNER_EVENTS.attempt &&
              e.data.deliveryId === advance?.data.deliveryId &&
              e.data.outcome === 'delivered',
          );
          if (approvals.length === 1) {
            // Approved only after delivery, a whole notice period later, and never before the promised time.
            expect(delivered).toBeDefined();
            expect(approvals[0]!.at - delivered!.at).toBeGreaterThanOrEqual(schedule.noticePeriodMs);
            expect(approvals[0]!.at).toBeGreaterThanOrEqual(advance!.data.notBefore as number);
            expect(served[0]!.reason).toContain('ran out after delivery at');
          }
          const starts = impact.hosts.flatMap((h) =>
            trail.startedAt.has(h) ? [trail.startedAt.get(h)!] : [],
          );
          if (starts.length > 0) {
            expect(approvals).toHaveLength(1);
            expect(Math.min(...starts)).toBeGreaterThanOrEqual(approvals[0]!.at);
          }
          // A notice that never reached its owner holds the hosts for good.
          if (delivered === undefined) expect(starts).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * A small world around the pure decision: an executor that starts a host only once its
 * service's notice time has come (and, for a gated service, its approval),
 * owners who answer some time after the notice reaches them, and endpoints that reply as told.
 */
function simulate(run: RunSpec, services: AffectedService[], policy: OwnersPolicy) {
  const events: (StoreEvent & { data: Record<string, unknown> })[] = [];
  const ledger = emptyLedger();
  const hostStates = new Map<string, HostState>();
  const startedAt = new Map<string, number>();
  const approved = new Set<string>();
  const deliveredAdvance = new Map<string, boolean>();
  const approvals: { service: string; at: number }[] = [];
  let campaignState: CampaignState = 'running';
  let now = ANCHOR - run.createdBeforeMs + run.notifierDownMs;
  let replies = 0;
  const record = (
    kind: string,
    data: Record<string, unknown>,
    actor = 'owners',
    reason: string | null = null,
  ) => {
    const event = {
      id: events.length + 1,
      campaignId: 'c',
      at: now,
      actor,
      kind,
      host: null,
      guest: null,
      action: null,
      reason,
      data,
    };
    events.push(event);
    foldOwnerEvents(ledger, [event]);
  };
  const hostIndex = (service: number, h: number) => service * 3 + h;

  for (let round = 0; round < 3000; round++) {
    const decision = decideOwnerSteps({
      campaign: 'c',
      campaignState,
      now,
      anchorMs: ANCHOR,
      services,
      ledger,
      hostStates,
      approved,
      policy,
    });
    for (const step of decision.steps) {
      if (step.type === 'queue') record(OWNER_EVENTS.queued, { ...step.data, at: now });
      else if (step.type === 'approve') {
        const key = serviceApprovalKey(step.service);
        if (!approved.has(key)) approvals.push({ service: step.service, at: now });
        approved.add(key);
      } else if (step.type === 'serve') record(OWNER_EVENTS.served, { ...step.data }, 'owners', step.reason);
      else if (step.type === 'deadline')
        record(
          OWNER_EVENTS.deadline,
          { service: step.service, decision: step.decision },
          'owners',
          step.reason,
        );
      else {
        const reply = run.replies[replies++] ?? 'ok';
        const attempt = step.delivery.attempts + 1;
        const outcome: AttemptOutcome =
          reply === 'ok'
            ? 'delivered'
            : reply === 'client-error'
              ? 'rejected'
              : attempt >= policy.maxAttempts
                ? 'gave-up'
                : 'retry';
        if (outcome === 'delivered' && step.delivery.notice === 'notice')
          deliveredAdvance.set(step.delivery.service, true);
        record(OWNER_EVENTS.attempt, {
          deliveryId: step.delivery.deliveryId,
          attempt,
          outcome,
          ...(outcome === 'retry' ? { nextAttemptAt: now + retryDelayMs(attempt, policy, 0.5) } : {}),
        });
      }
    }
    if (decision.finished) break;
    if (decision.steps.length > 0) continue;

    // The world: what happens next, and when.
    const next: { at: number; act: () => void }[] = [];
    if (decision.wakeAt !== undefined) next.push({ at: decision.wakeAt, act: () => undefined });
    services.forEach(({ schedule, impact }, s) => {
      const advance = [...ledger.deliveries.values()].find(
        (d) => d.service === schedule.service && d.notice === 'notice',
      );
      const answer = run.answers[s]!;
      if (
        schedule.needsConsent &&
        answer.answer !== 'none' &&
        advance?.settled?.outcome === 'delivered' &&
        !ledger.answers.has(schedule.service) &&
        campaignState === 'running'
      )
        next.push({
          at: advance.settled.at + answer.afterMs,
          act: () =>
            record(OWNER_EVENTS.answer, { service: schedule.service, answer: answer.answer }, 'owner'),
        });
      const gateOpen = !isGated(schedule) || approved.has(serviceApprovalKey(schedule.service));
      impact.hosts.forEach((host, h) => {
        const state = hostStates.get(host) ?? 'pending';
        const i = hostIndex(s, h);
        if (state === 'pending' && advance !== undefined && gateOpen && campaignState === 'running')
          next.push({
            at: Math.max(now, (advance.notBefore ?? schedule.notBefore) + run.hostDelayMs[i]!),
            act: () => {
              hostStates.set(host, 'active');
              startedAt.set(host, now);
            },
          });
        if (state === 'active')
          next.push({
            at: startedAt.get(host)! + 600_000,
            act: () => hostStates.set(host, run.hostFails[i] ? 'failed' : 'done'),
          });
      });
    });
    if (next.length === 0) {
      if (campaignState === 'completed') break;
      campaignState = 'completed';
      continue;
    }
    const at = Math.min(...next.map((n) => n.at));
    now = Math.max(now, at);
    for (const n of next) if (n.at <= now) n.act();
  }
  return { events, startedAt, approved, approvals, deliveredAdvance };
}
