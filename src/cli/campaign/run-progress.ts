import type { CampaignStore, Progress } from '../../store/index.js';

/**
 * Progress of a run on standard error: one line whenever the counts change, at most once a
 * second (a line per change is a log an operator can read back; a bar would be lost in it).
 */
export function followProgress(
  store: CampaignStore,
  campaign: string,
  virtualNow: () => number,
  out: NodeJS.WritableStream,
): () => void {
  let last = '';
  let reading = false;
  const tick = () => {
    if (reading) return;
    reading = true;
    store
      .progress(campaign)
      .then((progress) => {
        const line = describe(progress);
        if (line !== last) out.write(`[${new Date(virtualNow()).toISOString()}] ${line}\n`);
        last = line;
      })
      // The store may be briefly out of reach; the worker copes with that, progress just skips a beat.
      .catch(() => undefined)
      .finally(() => (reading = false));
  };
  const timer = setInterval(tick, 1000);
  return () => clearInterval(timer);
}

function describe({ hosts, actions }: Progress): string {
  const total = Object.values(hosts).reduce((a, b) => a + b, 0);
  return (
    `${hosts.done}/${total} hosts done, ${hosts.active} in flight, ${hosts.failed} failed, ${hosts.deferred} deferred; ` +
    `${actions.succeeded} actions succeeded, ${actions.started + actions.unknown} under way, ${actions.failed} failed`
  );
}
