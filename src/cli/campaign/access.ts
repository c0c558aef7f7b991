import { Conflict } from '../../core/errors.js';
import { createOwnerReplies, type OwnerReply } from '../../engine/owners/index.js';
import type { CampaignState, CampaignStore, CampaignSummary, StoreEvent } from '../../store/index.js';
import { campaignStatus, type CampaignStatus } from './status.js';

export type ControlVerb = 'pause' | 'resume' | 'abort';

/**
 * What status, pause, resume, abort and events do with a campaign, whether they reach it
 * through its live run's control socket or by opening its store: the same answers either way.
 */
export interface CampaignAccess {
  status(): Promise<CampaignStatus>;
  events(page: { after?: number; limit?: number }): Promise<StoreEvent[]>;
  control(verb: ControlVerb, why: { actor: string; reason: string }): Promise<CampaignSummary>;
  /** A service owner's consent to (or refusal of) the disruption of their service's guests. */
  answer(answer: OwnerAnswer): Promise<OwnerReply>;
  close(): Promise<void>;
}

export interface OwnerAnswer {
  service: string;
  actor: string;
  consent: boolean;
  reason?: string;
}

/** Which state each verb leads to, from the states it may be used in. */
const TARGETS: Record<ControlVerb, Partial<Record<CampaignState, CampaignState>>> = {
  pause: { running: 'paused' },
  resume: { paused: 'running', halted: 'running' },
  // A campaign that never ran has nothing to bring back; one that ran brings its hosts in flight back first.
  abort: {
    draft: 'aborted',
    approved: 'aborted',
    running: 'aborting',
    paused: 'aborting',
    halted: 'aborting',
  },
};

export function storeAccess(
  store: CampaignStore,
  campaign: string,
  close: () => Promise<void>,
  now = Date.now,
): CampaignAccess {
  const replies = createOwnerReplies(store, { now });
  return {
    answer: ({ service, actor, consent, reason }) =>
      consent ? replies.consent(campaign, service, actor) : replies.refuse(campaign, service, actor, reason),
    status: () => campaignStatus(store, campaign),
    events: (page) => store.events(campaign, page),
    async control(verb, why) {
      const { state } = await store.campaign(campaign);
      const to = TARGETS[verb][state];
      if (to === undefined) {
        const from = Object.keys(TARGETS[verb]).join(', ');
        throw new Conflict(
          `cannot ${verb} campaign ${campaign}: it is ${state} (${verb} applies to a campaign that is ${from})`,
        );
      }
      return store.setCampaignState(campaign, to, why, now());
    },
    close,
  };
}

/** The campaign a data directory or database holds: the newest, or the one named. */
export async function chooseCampaign(store: CampaignStore, named: string | undefined): Promise<string> {
  const campaigns = await store.campaigns();
  if (named !== undefined) {
    if (!campaigns.some((c) => c.id === named))
      throw new Conflict(
        `no campaign ${named} here (there are: ${campaigns.map((c) => c.id).join(', ') || 'none'})`,
      );
    return named;
  }
  const newest = campaigns.at(-1);
  if (!newest) throw new Conflict('no campaign here yet (start one with hvpatch run)');
  return newest.id;
}
