import type { ActionState, CampaignStore } from '../store/index.js';

const STATE_OF_EVENT: Record<string, ActionState> = {
  'action-started': 'started',
  'action-succeeded': 'succeeded',
  'action-failed': 'failed',
  'action-unknown': 'unknown',
  'action-skipped': 'skipped',
  'action-requeued': 'pending',
};
const PAGE = 1000;

export interface ActionStates {
  /** The id of the last event read: the position in the audit trail these states are at. */
  after: number;
  /** The state of each action that left `pending`, by seq. */
  states: Map<number, ActionState>;
  /** Actions were appended to the plan's: their specs are only in the store's action rows. */
  appended: boolean;
  /** Pending actions were skipped in bulk when the campaign was aborted. */
  abortedSkips: boolean;
}

/**
 * Each action's state, read from the audit trail rather than the action rows: a 5,000-host
 * campaign has about 100,000 rows but, before and early in a run, few events. Read on from
 * the last event seen, so that each call costs only what happened since the previous one.
 */
export function createActionStates(store: CampaignStore): (campaign: string) => Promise<ActionStates> {
  const known = new Map<string, ActionStates>();
  // One read at a time per campaign: two overlapping ones would apply their pages out of order.
  const reading = new Map<string, Promise<unknown>>();
  const readOn = async (campaign: string): Promise<ActionStates> => {
    const state = known.get(campaign) ?? {
      after: 0,
      states: new Map(),
      appended: false,
      abortedSkips: false,
    };
    for (;;) {
      const page = await store.events(campaign, { after: state.after, limit: PAGE });
      for (const event of page) {
        state.after = event.id;
        if (event.kind === 'actions-appended') state.appended = true;
        if (event.kind === 'campaign-state' && event.data.to === 'aborted' && event.data.skippedActions)
          state.abortedSkips = true;
        const to = STATE_OF_EVENT[event.kind];
        if (to !== undefined && event.action !== null) state.states.set(event.action, to);
      }
      if (page.length < PAGE) break;
    }
    known.set(campaign, state);
    return state;
  };
  return (campaign) => {
    const read = (reading.get(campaign) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => readOn(campaign));
    reading.set(campaign, read);
    return read;
  };
}
