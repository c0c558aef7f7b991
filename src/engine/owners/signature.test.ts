import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignature } from './signature.js';

const NOW = Date.parse('2026-01-05T22:00:00Z');
const SECRET = 'whsec-0123456789abcdef';

describe('webhook signatures', () => {
  it('has the documented format: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    // Computed independently: printf '1767650400.{"a":1}' | openssl dgst -sha256 -hmac whsec-0123456789abcdef
    expect(signatureHeader(SECRET, '{"a":1}', NOW)).toBe(
      't=1767650400,v1=f24c3f568bd26f3dad45c7a16088daaac85eec317b783f7ee12d8e746ffd85a5',
    );
  });

  it('verifies what it signed, for any body and secret', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string({ minLength: 16 }),
        fc.integer({ min: 0, max: 4e12 }),
        (body, secret, now) => {
          const header = signatureHeader(secret, body, now);
          expect(verifySignature({ header, body, secrets: secret, nowMs: now })).toMatchObject({ ok: true });
          expect(verifySignature({ header, body: Buffer.from(body), secrets: secret, nowMs: now }).ok).toBe(
            true,
          );
        },
      ),
    );
  });

  it('fails with a wrong secret or a changed body', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string({ minLength: 16 }), (body, other, secret) => {
        fc.pre(body !== other);
        const header = signatureHeader(secret, body, NOW);
        expect(verifySignature({ header, body: other, secrets: secret, nowMs: NOW })).toEqual({
          ok: false,
          reason: 'signature does not match',
        });
        expect(verifySignature({ header, body, secrets: `${secret}x`, nowMs: NOW }).ok).toBe(false);
      }),
    );
  });

  it('accepts either secret during a rotation', () => {
    const header = signatureHeader('new-secret-0123456789', 'x', NOW);
    expect(
      verifySignature({
        header,
        body: 'x',
        secrets: ['old-secret-0123456789', 'new-secret-0123456789'],
        nowMs: NOW,
      }).ok,
    ).toBe(true);
  });

  it('refuses a replay outside the tolerance, and malformed headers', () => {
    const header = signatureHeader(SECRET, 'x', NOW);
    expect(verifySignature({ header, body: 'x', secrets: SECRET, nowMs: NOW + 5 * 60_000 }).ok).toBe(true);
    expect(verifySignature({ header, body: 'x', secrets: SECRET, nowMs: NOW + 5 * 60_000 + 1000 })).toEqual({
      ok: false,
      reason: 'timestamp outside the tolerance',
    });
    for (const bad of [
      undefined,
      '',
      'v1=00',
      't=abc,v1=00',
      't=1767650400',
      `t=1767650400,v1=${'z'.repeat(64)}`,
    ])
      expect(verifySignature({ header: bad, body: 'x', secrets: SECRET, nowMs: NOW }).ok).toBe(false);
  });
});
