/** How an action ended, as the executor records it with `finishAction`. */
export type ActionResult =
  | { outcome: 'succeeded'; detail?: Record<string, unknown> }
  | { outcome: 'failed'; reason: string; detail?: Record<string, unknown> };

export const succeeded = (detail?: Record<string, unknown>): ActionResult =>
  detail === undefined ? { outcome: 'succeeded' } : { outcome: 'succeeded', detail };

export const failed = (reason: string, detail?: Record<string, unknown>): ActionResult =>
  detail === undefined ? { outcome: 'failed', reason } : { outcome: 'failed', reason, detail };
