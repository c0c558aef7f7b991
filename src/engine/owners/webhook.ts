import type { WebhookEndpoint } from './endpoints.js';
import type { AttemptResult } from './retry.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.js';

/**
 * One signed POST of a notice. Never throws: whatever happens is an `AttemptResult`, and
 * its message names the failure, not the request (the secret stays out of it).
 */
export async function postWebhook({
  endpoint,
  deliveryId,
  event,
  body,
  nowMs,
  timeoutMs,
}: {
  endpoint: WebhookEndpoint;
  deliveryId: string;
  event: string;
  body: string;
  nowMs: number;
  timeoutMs: number;
}): Promise<AttemptResult> {
  try {
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'hvpatch-owners',
        [SIGNATURE_HEADER]: signatureHeader(endpoint.secret, body, nowMs),
        [DELIVERY_HEADER]: deliveryId,
        [EVENT_HEADER]: event,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The body is not needed; reading it frees the connection.
    await response.arrayBuffer().catch(() => undefined);
    const retryAfter = Number(response.headers.get('retry-after'));
    return {
      status: response.status,
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
    };
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
      return { error: 'timeout', message: `no answer within ${timeoutMs} ms` };
    return { error: 'connection', message: describe(error) };
  }
}

/** undici wraps the socket error (ECONNREFUSED, ENOTFOUND…) in `cause`: that code is what helps. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'request failed';
  const cause = error.cause as { code?: unknown } | undefined;
  return typeof cause?.code === 'string' ? `${error.message}: ${cause.code}` : error.message;
}
