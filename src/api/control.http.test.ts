/**
 * A running campaign controlled over real HTTP while its audit trail streams as server-sent
 * events: pause takes up no new host until resume (hosts in flight finish), abort brings the hosts
 * in flight back.
 * The simulator is paced (virtual time 600× real), so that there is a campaign to pause.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './server.js';
import { bearer, testServerOptions } from './testing/fixture.js';

interface StreamedEvent {
  id: number;
  kind: string;
  host?: string;
  data: Record<string, unknown>;
}

let server: RunningServer;
beforeAll(async () => {
  const options = await testServerOptions(16, 3);
  server = await startServer({ ...options, sim: { ...options.sim!, speed: 600 } });
});
afterAll(async () => {
  await server?.close();
});

async function call<T>(
  method: 'GET' | 'POST',
  path: string,
  role: 'viewer' | 'operator' | 'approver',
  body?: unknown,
) {
  const response = await fetch(new URL(path, server.url), {
    method,
    headers: { ...bearer(role), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** A running campaign of a fresh plan. */
async function runningCampaign(): Promise<string> {
  const plan = await call<{ id: string }>('POST', '/api/plans', 'operator', { planner: 'hvpatch' });
  const { id } = await call<{ id: string }>('POST', '/api/campaigns', 'operator', { planId: plan.id });
  await call('POST', `/api/campaigns/${id}/approve`, 'approver', {});
  await call('POST', `/api/campaigns/${id}/run`, 'operator');
  return id;
}

/** The campaign's event stream, read as it comes; `until` resolves with the events so far once one matches. */
function follow(campaign: string) {
  const events: StreamedEvent[] = [];
  const waiters: { match: (e: StreamedEvent) => boolean; resolve: () => void }[] = [];
  const stop = new AbortController();
  const reading = (async () => {
    const response = await fetch(new URL(`/api/campaigns/${campaign}/events/stream`, server.url), {
      headers: bearer('viewer'),
      signal: stop.signal,
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split('\n').find((line) => line.startsWith('data: '));
        if (data === undefined) continue;
        const event = JSON.parse(data.slice(6)) as StreamedEvent;
        events.push(event);
        for (const waiter of waiters.filter((w) => w.match(event))) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    }
  })().catch((error: unknown) => {
    if (!stop.signal.aborted) throw error;
  });
  return {
    events,
    until: (match: (e: StreamedEvent) => boolean) =>
      events.some(match)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ match, resolve })),
    close: async () => {
      stop.abort();
      await reading;
    },
  };
}

const stateTo = (to: string) => (e: StreamedEvent) => e.kind === 'campaign-state' && e.data.to === to;

describe('controlling a running campaign over HTTP', () => {
  it('pauses: no host is taken up until resume (hosts in flight finish), then it runs to the end; the stream shows it all in order', async () => {
    const campaign = await runningCampaign();
    const stream = follow(campaign);
    try {
      await stream.until((e) => e.kind === 'action-started');
      expect(
        await call<{ state: string }>('POST', `/api/campaigns/${campaign}/pause`, 'operator'),
      ).toMatchObject({
        state: 'paused',
      });
      await stream.until(stateTo('paused'));
      // Two seconds of wall time are twenty minutes of the campaign’s: enough for any host to move on.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect((await call<{ state: string }>('GET', `/api/campaigns/${campaign}`, 'viewer')).state).toBe(
        'paused',
      );
      await call('POST', `/api/campaigns/${campaign}/resume`, 'operator');
      await stream.until(stateTo('completed'));

      const { events } = stream;
      const paused = events.findIndex(stateTo('paused'));
      const resumed = events.findIndex((e, i) => i > paused && stateTo('running')(e));
      expect(resumed).toBeGreaterThan(paused);
      // Hosts in flight at the pause finish and go back to service; no other host is taken up.
      const admitted = (e: StreamedEvent) => e.kind === 'host-state' && e.data.to === 'active';
      const inFlight = new Set(
        events
          .slice(0, paused)
          .filter(admitted)
          .map((e) => e.host),
      );
      const whilePaused = events.slice(paused, resumed);
      expect(whilePaused.filter(admitted)).toEqual([]);
      expect(whilePaused.filter((e) => e.kind === 'action-started' && !inFlight.has(e.host))).toEqual([]);
      expect(events.slice(resumed).some(admitted)).toBe(true);
      // Served in the store's order, each once.
      const ids = events.map((e) => e.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      await stream.close();
    }
  }, 120_000);

  it('aborts: the hosts in flight are brought back and none is left out of service', async () => {
    const campaign = await runningCampaign();
    const stream = follow(campaign);
    try {
      await stream.until((e) => e.kind === 'action-started');
      await call('POST', `/api/campaigns/${campaign}/abort`, 'operator');
      await stream.until(stateTo('aborted'));
      const hosts = await call<{ host: string; state: string }[]>(
        'GET',
        `/api/campaigns/${campaign}/hosts`,
        'viewer',
      );
      expect(hosts.filter((h) => h.state === 'active')).toEqual([]);
      // What the platform says now: every host back in scheduling.
      const fleet = await call<{ hosts: { id: string; state: string }[] }>(
        'GET',
        '/api/hosts?limit=100',
        'viewer',
      );
      expect(fleet.hosts).toHaveLength(16);
      expect(fleet.hosts.filter((h) => h.state !== 'enabled')).toEqual([]);
    } finally {
      await stream.close();
    }
  }, 120_000);
});
