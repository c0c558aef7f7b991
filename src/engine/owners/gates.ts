import type { CampaignStore } from '../../store/index.js';
import type { OwnerNotifier } from './runner.js';

/** A lost or late database notification only makes the wait slower to notice an approval. */
const RECHECK_MS = 250;

/**
 * When the engine stops because every host left waits on an approval, some of those may be
 * gates the owner notifier opens by itself (a notice period running out, a deadline at which
 * the policy proceeds, a notice still being delivered). This waits for an approval that was
 * not among `known` (read before the engine started, so that one given while it was stopping
 * is not missed), by the notifier or a person: true then, so that the engine goes on; false
 * once the notifier has nothing left to decide by itself, or `signal` aborts.
 */
export async function waitForOwnerGates(
  store: CampaignStore,
  campaign: string,
  notifier: OwnerNotifier,
  known: ReadonlySet<string>,
  signal: AbortSignal,
): Promise<boolean> {
  let wake: () => void = () => undefined;
  const unlisten = await store.watchEvents(
    campaign,
    () => wake(),
    () => undefined,
  );
  const onAbort = () => wake();
  signal.addEventListener('abort', onAbort);
  try {
    while (!signal.aborted) {
      // Read before the approvals: the notifier approves before it stops awaiting a service.
      const awaiting = notifier.awaiting();
      const approvals = await store.approvals(campaign);
      if (approvals.some((a) => !known.has(a.stage))) return true;
      if (awaiting.length === 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, RECHECK_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return false;
  } finally {
    signal.removeEventListener('abort', onAbort);
    await unlisten();
  }
}
