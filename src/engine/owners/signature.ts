import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, in the scheme Stripe uses, so that owners can reuse what they know:
 *
 *     Hvpatch-Signature: t=1767650400,v1=f24c3f568bd26f3dad45c7a16088daaac85eec317b783f7ee12d8e746ffd85a5
 *
 * (for the body `{"a":1}` and the secret `whsec-0123456789abcdef`). `t` is the sending time
 * in Unix seconds; `v1` is the lowercase hex HMAC-SHA256, keyed with the endpoint's secret,
 * of `${t}.${body}` where `body` is the exact bytes of the request body. Each attempt of a
 * delivery is signed afresh, with its own `t`; the body and the delivery id stay the same. Several `v1` entries may appear while a secret is being rotated; one matching is
 * enough. Receivers should check the signature over the raw body (before parsing JSON),
 * compare in constant time, refuse a `t` too far from their clock (replays), and use the
 * `Hvpatch-Delivery` header to drop duplicates: a delivery may arrive more than once.
 */
export const SIGNATURE_HEADER = 'hvpatch-signature';
export const DELIVERY_HEADER = 'hvpatch-delivery';
export const EVENT_HEADER = 'hvpatch-event';

/** How far a signature's time may be from the receiver's clock, by default. */
export const DEFAULT_TOLERANCE_MS = 5 * 60_000;

export function signatureHeader(secret: string, body: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${hmac(secret, t, body)}`;
}

export type Verification = { ok: true; timestampMs: number } | { ok: false; reason: string };

/**
 * Checks a request's `Hvpatch-Signature` header against its raw body, for receivers.
 * `secrets` may hold the old and the new secret during a rotation.
 */
export function verifySignature({
  header,
  body,
  secrets,
  nowMs,
  toleranceMs = DEFAULT_TOLERANCE_MS,
}: {
  header: string | undefined;
  body: string | Uint8Array;
  secrets: string | readonly string[];
  nowMs: number;
  toleranceMs?: number;
}): Verification {
  if (header === undefined || header === '') return { ok: false, reason: 'no signature header' };
  const parts = header.split(',').map((part) => part.trim().split('='));
  const times = parts.filter(([key]) => key === 't').map(([, value]) => value ?? '');
  const signatures = parts.filter(([key]) => key === 'v1').map(([, value]) => value ?? '');
  if (times.length !== 1 || !/^\d+$/.test(times[0]!)) return { ok: false, reason: 'no valid timestamp' };
  if (signatures.length === 0) return { ok: false, reason: 'no v1 signature' };
  const t = Number(times[0]);
  if (Math.abs(nowMs - t * 1000) > toleranceMs)
    return { ok: false, reason: 'timestamp outside the tolerance' };
  const expected = (typeof secrets === 'string' ? [secrets] : secrets).map((s) =>
    Buffer.from(hmac(s, t, body), 'hex'),
  );
  const matches = signatures.some((signature) => {
    if (!/^[0-9a-f]{64}$/.test(signature)) return false;
    const given = Buffer.from(signature, 'hex');
    return expected.some((wanted) => timingSafeEqual(given, wanted));
  });
  return matches ? { ok: true, timestampMs: t * 1000 } : { ok: false, reason: 'signature does not match' };
}

function hmac(secret: string, t: number, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}
