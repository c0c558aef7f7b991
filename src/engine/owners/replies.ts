import { BadInput, Conflict, NotFound } from '../../core/errors.js';
import type { Clock } from '../../core/ports.js';
import type { CampaignStore } from '../../store/index.js';
import { serviceApprovalKey } from './decide.js';
import { serviceImpacts } from './impact.js';
import { emptyLedger, foldOwnerEvents, OWNER_EVENTS, type Answer } from './ledger.js';

export interface OwnerReply {
  campaign: string;
  service: string;
  answer: Answer;
  actor: string;
  at: number;
  /** False when the same answer had already been given: nothing was recorded again. */
  recorded: boolean;
}

export interface OwnerReplies {
  /** Records the owner's consent and approves `service:<name>`, which lets the service's hosts go ahead. */
  consent(campaign: string, service: string, actor: string, note?: string): Promise<OwnerReply>;
  /** Records the owner's refusal: the service's hosts stay held back in this campaign. */
  refuse(campaign: string, service: string, actor: string, reason?: string): Promise<OwnerReply>;
}

const CLOSED = ['aborted', 'completed'];

/**
 * What the CLI and the HTTP API call when an owner answers. Answers are idempotent (the same
 * answer again records nothing), a refusal may turn into consent, but consent cannot be taken
 * back: the approval may already have let a host start.
 */
export function createOwnerReplies(store: CampaignStore, clock: Pick<Clock, 'now'>): OwnerReplies {
  const answer = async (
    campaign: string,
    service: string,
    actor: string,
    given: Answer,
    reason?: string,
  ): Promise<OwnerReply> => {
    if (actor.trim() === '') throw new BadInput([{ path: 'actor', message: 'must name who answers' }]);
    const record = await store.campaign(campaign);
    if (!serviceImpacts(record.plan).some((impact) => impact.service === service))
      throw new NotFound(
        `campaign ${campaign} does not disrupt service ${service}: there is nothing to answer`,
      );
    if (CLOSED.includes(record.state))
      throw new Conflict(`campaign ${campaign} is ${record.state}: it is too late to answer`);
    const prior = (await priorAnswers(store, campaign)).get(service);
    if (prior?.answer === 'consent' && given === 'refuse')
      throw new Conflict(
        `${prior.actor} consented for ${service} at ${new Date(prior.at).toISOString()}; consent cannot be withdrawn, abort or pause the campaign instead`,
      );
    const now = clock.now();
    const repeated = prior?.answer === given;
    if (!repeated)
      await store.recordEvent(
        {
          campaignId: campaign,
          actor,
          kind: OWNER_EVENTS.answer,
          reason: reason ?? `${actor} answered ${given} for ${service}`,
          data: { service, answer: given },
        },
        now,
      );
    // Also when repeated: a crash may have come between the answer and the approval.
    if (given === 'consent') await store.approveStage(campaign, serviceApprovalKey(service), actor, now);
    return repeated
      ? { campaign, service, answer: given, actor: prior.actor, at: prior.at, recorded: false }
      : { campaign, service, answer: given, actor, at: now, recorded: true };
  };
  return {
    consent: (campaign, service, actor, note) => answer(campaign, service, actor, 'consent', note),
    refuse: (campaign, service, actor, reason) => answer(campaign, service, actor, 'refuse', reason),
  };
}

async function priorAnswers(store: CampaignStore, campaign: string) {
  const ledger = emptyLedger();
  for (;;) {
    const events = await store.events(campaign, { after: ledger.lastEventId, limit: 1000 });
    foldOwnerEvents(ledger, events);
    if (events.length < 1000) return ledger.answers;
  }
}
