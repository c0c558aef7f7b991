import { Unavailable } from '../core/errors.js';
import { changeMany, type ChangeRequest } from './actions.js';
import type { Database } from './database.js';
import type { ActionRecord } from './model.js';

/** Changes made in one transaction at most: a bound on its time and on the statement's size. */
const MAX_BATCH = 500;

interface Waiting {
  request: ChangeRequest;
  resolve(record: ActionRecord): void;
  reject(error: unknown): void;
}

/**
 * Group commit for action state changes: calls that arrive while a transaction is under way
 * wait for the next one and go in together, a few statements for all of them. Each call still
 * resolves only once its change has committed, so an action is durably `started` before its
 * driver is called. A batch the database refuses as a whole for a reason other than being out
 * of reach is taken apart, each change alone, so that one bad change fails only its own call.
 */
export function createGroupCommit(db: Database): (request: ChangeRequest) => Promise<ActionRecord> {
  const queue: Waiting[] = [];
  let running = false;

  const flush = async () => {
    const batch = take(queue);
    try {
      settle(
        batch,
        await db.transaction((tx) =>
          changeMany(
            tx,
            batch.map((w) => w.request),
          ),
        ),
      );
    } catch (error) {
      if (batch.length === 1 || error instanceof Unavailable) for (const w of batch) w.reject(error);
      else
        for (const w of batch)
          await db.transaction((tx) => changeMany(tx, [w.request])).then((r) => settle([w], r), w.reject);
    }
    running = false;
    pump();
  };
  const pump = () => {
    if (running || queue.length === 0) return;
    running = true;
    // Lets the calls made in the same turn of the event loop join the first batch too.
    setImmediate(() => void flush());
  };
  return (request) =>
    new Promise<ActionRecord>((resolve, reject) => {
      queue.push({ request, resolve, reject });
      pump();
    });
}

/** The next batch: in arrival order, one change per action (a second waits for the next batch). */
function take(queue: Waiting[]): Waiting[] {
  const batch: Waiting[] = [];
  const keys = new Set<string>();
  for (let i = 0; i < queue.length && batch.length < MAX_BATCH;) {
    const key = `${queue[i]!.request.lease.campaignId} ${queue[i]!.request.seq}`;
    if (keys.has(key)) {
      i++;
      continue;
    }
    keys.add(key);
    batch.push(queue.splice(i, 1)[0]!);
  }
  return batch;
}

function settle(batch: readonly Waiting[], results: readonly (ActionRecord | Error)[]): void {
  batch.forEach((w, i) => {
    const result = results[i]!;
    if (result instanceof Error) w.reject(result);
    else w.resolve(result);
  });
}
