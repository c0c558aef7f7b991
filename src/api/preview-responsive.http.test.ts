/**
 * Planning a big preview takes seconds of CPU; the server keeps answering meanwhile, because
 * the plan is made on the preview planner's thread rather than on the event loop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFleet } from '../core/generate/index.js';
import { createApiServer, type ApiServer } from './server.js';
import { bearer, testServerOptions } from './testing/fixture.js';

/** Big enough that planning takes a good second or more even on a fast machine. */
const HOSTS = 2_000;

let server: ApiServer;
let url: string;
/** Resolved when the server begins to handle the preview (its handler is next). */
let previewStarted: Promise<void>;

beforeAll(async () => {
  const options = await testServerOptions(1, 1);
  server = await createApiServer({ ...options, fleet: generateFleet({ hosts: HOSTS, seed: 1 }) });
  previewStarted = new Promise((resolve) =>
    server.app.addHook('preHandler', async (request) => {
      if (request.method === 'POST' && request.url === '/api/plans') resolve();
    }),
  );
  url = await server.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server?.close();
});

const get = async (path: string) => {
  const response = await fetch(new URL(path, url), { headers: bearer('viewer') });
  await response.text();
  return response.status;
};

describe('a big plan preview', () => {
  it('is planned while /metrics and the other routes go on answering', async () => {
    let planned = false;
    const preview = fetch(new URL('/api/plans', url), {
      method: 'POST',
      headers: { ...bearer('operator'), 'content-type': 'application/json' },
      body: '{}',
    }).then(async (response) => {
      // Its headers go out once the plan is made; reading the body takes a while longer.
      planned = true;
      return { status: response.status, body: (await response.json()) as { hosts: number } };
    });
    // From the moment the server takes the preview on, one request after the other until it
    // is answered. This test shares the server's event loop: had the planning blocked it,
    // no request sent meanwhile would be answered before the plan is made.
    await previewStarted;
    let answeredMeanwhile = 0;
    while (!planned) {
      expect(await get(answeredMeanwhile % 2 ? '/metrics' : '/api/whoami')).toBe(200);
      if (!planned) answeredMeanwhile++;
    }
    const { status, body } = await preview;
    expect(status).toBe(200);
    expect(body.hosts).toBe(HOSTS);
    expect(answeredMeanwhile).toBeGreaterThanOrEqual(5);
  });
});
