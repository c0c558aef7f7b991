import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Plan } from '../../core/plan/index.js';
import { samplePlan } from '../../store/plan-fixture.js';
import { DELIVERY_HEADER, SIGNATURE_HEADER, verifySignature } from './signature.js';

export const HOUR = 3_600_000;
export const WEB_SECRET = 'web-secret-4f7c2a9e1b';
export const DB_SECRET = 'db-secret-8d3e6b0a5c';

/** host-0 and host-2 carry web's guests, host-1 db's (budget 1); the plan reaches host-1 at second 600. */
export function twoServicePlan(): Plan {
  const plan = samplePlan({ hosts: 3 });
  plan.fleet.guests[1]!.service = 'db';
  plan.limits.serviceBudgets.db = 1;
  return plan;
}
export const TWO_SERVICE_ANCHOR = Date.parse(twoServicePlan().startsAt);

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered; 0 when it kept the request hanging. */
  status: number;
  /** The signature checked with the receiver's secret, as an owner's endpoint would. */
  verified: boolean;
}

/**
 * An owner's webhook endpoint on 127.0.0.1, as a real one would be written: it checks the
 * signature over the raw body and keeps each delivery id once. `replies` scripts its answers
 * in order (a status, or `hang` to never answer); once they run out it answers 200.
 */
export async function startReceiver(secret: string, now: () => number) {
  const received: Received[] = [];
  const replies: (number | 'hang')[] = [];
  const accepted = new Map<string, string>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = request.headers[SIGNATURE_HEADER];
      const verified = verifySignature({
        header: typeof header === 'string' ? header : undefined,
        body,
        secrets: secret,
        nowMs: now(),
      }).ok;
      const reply = replies.shift() ?? (verified ? 200 : 401);
      received.push({ headers: request.headers, body, status: reply === 'hang' ? 0 : reply, verified });
      if (reply === 'hang') return;
      if (reply >= 200 && reply < 300) accepted.set(String(request.headers[DELIVERY_HEADER]), body);
      response.writeHead(reply, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/hvpatch`,
    received,
    replies,
    /** Deliveries taken in, once each, by delivery id. */
    accepted,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Virtual time the test moves by hand; `sleep` moves it on at once. */
export function manualClock(start: number) {
  let t = start;
  return {
    now: () => t,
    // Time jumps at once, but the event loop still turns, as under any real clock: a loop
    // that sleeps on it cannot starve sockets and timers (the test's own timeout included).
    sleep: async (ms: number) => {
      t += ms;
      await new Promise((resolve) => setImmediate(resolve));
    },
    set: (to: number) => {
      t = to;
    },
  };
}
