import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { BadInput } from '../core/errors.js';
import { parseTokensFile } from './access.js';
import { createApiServer, type ApiServer } from './server.js';
import { bearer, NAMES, SECRETS, testServerOptions } from './testing/fixture.js';

type Method = 'GET' | 'POST';
let server: ApiServer;
let ownerService: string;
let otherService: string;
const bodies: string[] = [];

async function call(
  method: Method,
  url: string,
  options: { role?: keyof typeof SECRETS; token?: string; body?: unknown } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {};
  if (options.role) Object.assign(headers, bearer(options.role));
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await server.app.inject({
    method,
    url,
    headers,
    ...(options.body !== undefined && { payload: options.body as object }),
  });
  bodies.push(response.body);
  return response;
}

const json = <T = Record<string, unknown>>(r: LightMyRequestResponse) => r.json<T>();
const problems = (r: LightMyRequestResponse) =>
  json<{ error: { problems: { path: string; message: string }[] } }>(r).error.problems;

beforeAll(async () => {
  const options = await testServerOptions(16, 1);
  ownerService = options.ownerService;
  otherService = options.fleet.services.find((s) => s.id !== ownerService)!.id;
  server = await createApiServer(options);
});
afterAll(async () => {
  await server.close();
  // Secrets never leave the server, whatever was asked.
  for (const body of bodies) for (const secret of Object.values(SECRETS)) expect(body).not.toContain(secret);
});

/** Every route with an example of its path, who may call it, and a body it accepts. */
const ROUTES: { method: Method; url: string; allowed: (keyof typeof SECRETS)[] }[] = [
  { method: 'GET', url: '/api/whoami', allowed: ['viewer', 'operator', 'approver', 'owner'] },
  { method: 'GET', url: '/api/fleet', allowed: ['viewer', 'operator', 'approver', 'owner'] },
  { method: 'GET', url: '/api/hosts', allowed: ['viewer', 'operator', 'approver', 'owner'] },
  { method: 'GET', url: '/api/hosts/:host', allowed: ['viewer', 'operator', 'approver', 'owner'] },
  { method: 'GET', url: '/api/needs', allowed: ['viewer', 'operator', 'approver', 'owner'] },
  { method: 'GET', url: '/api/compliance', allowed: ['viewer', 'operator', 'approver', 'owner'] },
  { method: 'POST', url: '/api/plans', allowed: ['operator'] },
  { method: 'GET', url: '/api/plans/:plan', allowed: ['viewer', 'operator', 'approver', 'owner'] },
  { method: 'GET', url: '/api/plans/:plan/timeline', allowed: ['viewer', 'operator', 'approver', 'owner'] },
  { method: 'GET', url: '/api/plans/:plan/impact', allowed: ['viewer', 'operator', 'approver', 'owner'] },
  { method: 'GET', url: '/api/campaigns', allowed: ['viewer', 'operator', 'approver', 'owner'] },
  { method: 'POST', url: '/api/campaigns', allowed: ['operator'] },
  { method: 'GET', url: '/api/campaigns/:id', allowed: ['viewer', 'operator', 'approver', 'owner'] },
  { method: 'GET', url: '/api/campaigns/:id/plan', allowed: ['viewer', 'operator', 'approver', 'owner'] },
  { method: 'GET', url: '/api/campaigns/:id/hosts', allowed: ['viewer', 'operator', 'approver', 'owner'] },
  { method: 'GET', url: '/api/campaigns/:id/actions', allowed: ['viewer', 'operator', 'approver', 'owner'] },
  { method: 'GET', url: '/api/campaigns/:id/timeline', allowed: ['viewer', 'operator', 'approver', 'owner'] },
  { method: 'GET', url: '/api/campaigns/:id/impact', allowed: ['viewer', 'operator', 'approver', 'owner'] },
  { method: 'POST', url: '/api/campaigns/:id/approve', allowed: ['approver'] },
  { method: 'POST', url: '/api/campaigns/:id/consent', allowed: ['approver', 'owner'] },
  { method: 'POST', url: '/api/campaigns/:id/run', allowed: ['operator'] },
  { method: 'POST', url: '/api/campaigns/:id/pause', allowed: ['operator'] },
  { method: 'POST', url: '/api/campaigns/:id/resume', allowed: ['operator'] },
  { method: 'POST', url: '/api/campaigns/:id/abort', allowed: ['operator'] },
  { method: 'GET', url: '/api/campaigns/:id/events', allowed: ['viewer', 'operator', 'approver', 'owner'] },
  {
    method: 'GET',
    url: '/api/campaigns/:id/events/stream',
    allowed: ['viewer', 'operator', 'approver', 'owner'],
  },
  { method: 'GET', url: '/metrics', allowed: ['viewer', 'operator', 'approver', 'owner'] },
];

const ROLES = ['viewer', 'operator', 'approver', 'owner'] as const;
const fill = (url: string, ids: { host: string; plan: string; id: string }) =>
  url.replace(':host', ids.host).replace(':plan', ids.plan).replace(':id', ids.id);

describe('the OpenAPI document', () => {
  it('is served without a token and describes every route, generated from the zod schemas', async () => {
    const response = await call('GET', '/openapi.json');
    expect(response.statusCode).toBe(200);
    const document = json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(response);
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const expected = [
      ...ROUTES.map(
        (r) =>
          `${r.method} ${r.url.replace(/:(\w+)/g, (_m, name: string) => `{${name === 'host' || name === 'plan' ? 'id' : name}}`)}`,
      ),
      'GET /openapi.json',
    ].sort();
    expect(documented).toEqual(expected);
    const preview = document.paths['/api/plans']!.post as {
      requestBody: { content: { 'application/json': { schema: { properties: Record<string, unknown> } } } };
      responses: Record<string, unknown>;
    };
    expect(Object.keys(preview.requestBody.content['application/json'].schema.properties)).toEqual([
      'policy',
      'planner',
      'startsAt',
    ]);
    expect(Object.keys(preview.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
  });
});

describe('access', () => {
  let ids: { host: string; plan: string; id: string };
  beforeAll(async () => {
    const plan = json<{ id: string }>(await call('POST', '/api/plans', { role: 'operator', body: {} }));
    const campaign = json<{ id: string }>(
      await call('POST', '/api/campaigns', { role: 'operator', body: { planId: plan.id } }),
    );
    ids = {
      host: json<{ hosts: { id: string }[] }>(await call('GET', '/api/hosts', { role: 'viewer' })).hosts[0]!
        .id,
      plan: plan.id,
      id: campaign.id,
    };
  });

  it.each(ROUTES)('$method $url: 401 without a token or with an unknown one', async (r) => {
    for (const token of [undefined, 'not-a-token-anyone-was-given']) {
      const response = await call(r.method, fill(r.url, ids), { ...(token && { token }), body: {} });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(json(response)).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    }
  });

  it.each(ROUTES.filter((r) => r.allowed.length < ROLES.length))(
    '$method $url: 403 for a role that may not',
    async (r) => {
      for (const role of ROLES.filter((role) => !r.allowed.includes(role))) {
        const response = await call(r.method, fill(r.url, ids), { role, body: { service: ownerService } });
        expect(response.statusCode, role).toBe(403);
        expect(json(response)).toMatchObject({ error: { code: 'PERMISSION_DENIED' } });
      }
    },
  );

  it('lets an owner consent for their own service only, and audits it under their name', async () => {
    const own = await call('POST', `/api/campaigns/${ids.id}/consent`, {
      role: 'owner',
      body: { service: ownerService, note: 'fine by us' },
    });
    expect(own.statusCode).toBe(200);
    expect(json(own)).toMatchObject({
      campaign: ids.id,
      service: ownerService,
      answer: 'consent',
      actor: NAMES.owner,
      recorded: true,
    });
    // An answer is given once: the same again records nothing and names who gave it.
    const again = await call('POST', `/api/campaigns/${ids.id}/consent`, {
      role: 'approver',
      body: { service: ownerService },
    });
    expect(json(again)).toMatchObject({ answer: 'consent', actor: NAMES.owner, recorded: false });
    const other = await call('POST', `/api/campaigns/${ids.id}/consent`, {
      role: 'owner',
      body: { service: otherService },
    });
    expect(other.statusCode).toBe(403);
    const byApprover = await call('POST', `/api/campaigns/${ids.id}/consent`, {
      role: 'approver',
      body: { service: otherService },
    });
    expect(byApprover.statusCode).toBe(200);
  });
});

describe('bad requests get 400 with the path of every wrong field, and change nothing', () => {
  it('a policy with wrong fields', async () => {
    const before = json<unknown[]>(await call('GET', '/api/campaigns', { role: 'viewer' })).length;
    const response = await call('POST', '/api/plans', {
      role: 'operator',
      body: { policy: { concurrency: { maxHostsOut: -1 }, stages: 'all' }, planner: 'magic', extra: 1 },
    });
    expect(response.statusCode).toBe(400);
    const paths = problems(response).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['body.policy.stages', 'body.planner', 'body.extra']));
    expect(paths.some((p) => p.startsWith('body.policy.concurrency.'))).toBe(true);
    expect(json<unknown[]>(await call('GET', '/api/campaigns', { role: 'viewer' })).length).toBe(before);
  });

  it('a policy naming a cluster the fleet does not have', async () => {
    const response = await call('POST', '/api/plans', {
      role: 'operator',
      body: { policy: { stages: [{ name: 'x', select: { clusters: ['atlantis'] } }] } },
    });
    expect(response.statusCode).toBe(400);
    expect(problems(response)[0]).toMatchObject({ path: 'body.policy.stages[0].select.clusters[0]' });
  });

  it('malformed JSON, missing and mistyped fields, bad queries', async () => {
    const malformed = await server.app.inject({
      method: 'POST',
      url: '/api/plans',
      headers: { ...bearer('operator'), 'content-type': 'application/json' },
      payload: '{"policy": ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(json(malformed)).toMatchObject({ error: { code: 'BAD_INPUT', problems: [{ path: 'body' }] } });
    const missing = await call('POST', '/api/campaigns', { role: 'operator', body: {} });
    expect(missing.statusCode).toBe(400);
    expect(problems(missing)).toEqual([
      { path: 'body.planId', message: expect.stringContaining('required') },
    ]);
    const notUuid = await call('POST', '/api/campaigns', { role: 'operator', body: { planId: 'abc' } });
    expect(problems(notUuid)[0]!.path).toBe('body.planId');
    const query = await call('GET', '/api/hosts?limit=0&offset=-1', { role: 'viewer' });
    expect(query.statusCode).toBe(400);
    expect(
      problems(query)
        .map((p) => p.path)
        .sort(),
    ).toEqual(['query.limit', 'query.offset']);
    const events = await call('GET', '/api/campaigns/00000000-0000-0000-0000-000000000000/events?after=x', {
      role: 'viewer',
    });
    expect(problems(events)[0]!.path).toBe('query.after');
  });

  it('approving a stage the plan does not have', async () => {
    const plan = json<{ id: string }>(await call('POST', '/api/plans', { role: 'operator', body: {} }));
    const { id } = json<{ id: string }>(
      await call('POST', '/api/campaigns', { role: 'operator', body: { planId: plan.id } }),
    );
    const response = await call('POST', `/api/campaigns/${id}/approve`, {
      role: 'approver',
      body: { stages: ['canary', 'nowhere'] },
    });
    expect(response.statusCode).toBe(400);
    expect(problems(response)).toEqual([
      { path: 'body.stages[1]', message: expect.stringContaining('no stage') },
    ]);
    expect(json<{ state: string }>(await call('GET', `/api/campaigns/${id}`, { role: 'viewer' })).state).toBe(
      'draft',
    );
  });

  it('unknown things are 404 and transitions the state machine refuses are 409', async () => {
    expect((await call('GET', '/api/hosts/no-such-host', { role: 'viewer' })).statusCode).toBe(404);
    expect((await call('GET', '/api/plans/nope', { role: 'viewer' })).statusCode).toBe(404);
    expect((await call('GET', '/api/campaigns/nope', { role: 'viewer' })).statusCode).toBe(404);
    const plan = json<{ id: string }>(await call('POST', '/api/plans', { role: 'operator', body: {} }));
    const { id } = json<{ id: string }>(
      await call('POST', '/api/campaigns', { role: 'operator', body: { planId: plan.id } }),
    );
    const run = await call('POST', `/api/campaigns/${id}/run`, { role: 'operator' });
    expect(run.statusCode).toBe(409);
    expect(json(run)).toMatchObject({ error: { code: 'CONFLICT' } });
    const abort = await call('POST', `/api/campaigns/${id}/abort`, { role: 'operator' });
    expect(json(abort)).toMatchObject({ state: 'aborted' });
  });
});

describe('a campaign through the API', () => {
  it('previews, approves, runs to the end on the simulator, and compliance changes', async () => {
    const before = json<{ totals: { compliant: number; needs: number } }>(
      await call('GET', '/api/compliance', { role: 'viewer' }),
    );
    const preview = await call('POST', '/api/plans', { role: 'operator', body: { planner: 'hvpatch' } });
    expect(preview.statusCode).toBe(200);
    const plan = json<{ id: string; stages: { name: string }[]; summary: { makespanS: number } }>(preview);
    expect(plan.stages.length).toBeGreaterThan(0);
    const timeline = json<{ hosts: string[]; bars: number[] }>(
      await call('GET', `/api/plans/${plan.id}/timeline`, { role: 'viewer' }),
    );
    const full = json<{ actions: unknown[] }>(await call('GET', `/api/plans/${plan.id}`, { role: 'viewer' }));
    expect(timeline.bars.length).toBe(full.actions.length * 5);
    const created = await call('POST', '/api/campaigns', { role: 'operator', body: { planId: plan.id } });
    expect(created.statusCode).toBe(201);
    const { id } = json<{ id: string }>(created);
    const approved = await call('POST', `/api/campaigns/${id}/approve`, { role: 'approver', body: {} });
    expect(json(approved)).toMatchObject({ state: 'approved' });
    expect(
      json<{ stages: { approvedBy: string }[] }>(approved).stages.every(
        (s) => s.approvedBy === NAMES.approver,
      ),
    ).toBe(true);
    expect(json(await call('POST', `/api/campaigns/${id}/run`, { role: 'operator' }))).toMatchObject({
      state: 'running',
    });

    let state = 'running';
    for (let i = 0; i < 600 && state === 'running'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = json<{ state: string }>(await call('GET', `/api/campaigns/${id}`, { role: 'viewer' })).state;
    }
    expect(state).toBe('completed');

    const after = json<{ totals: { compliant: number; needs: number } }>(
      await call('GET', '/api/compliance', { role: 'viewer' }),
    );
    expect(after.totals.compliant).toBeGreaterThan(before.totals.compliant);
    expect(after.totals.needs).toBeLessThan(before.totals.needs);

    const trail = json<{ actor: string; kind: string }[]>(
      await call('GET', `/api/campaigns/${id}/events?limit=1000`, { role: 'viewer' }),
    );
    expect(trail[0]).toMatchObject({ kind: 'campaign-created', actor: NAMES.operator });
    expect(trail.filter((e) => e.kind === 'stage-approved').every((e) => e.actor === NAMES.approver)).toBe(
      true,
    );
    expect(trail.some((e) => e.kind === 'campaign-state' && e.actor === NAMES.operator)).toBe(true);

    const done = json<{ bars: number[]; states: string[] }>(
      await call('GET', `/api/campaigns/${id}/timeline`, { role: 'viewer' }),
    );
    const states = new Set(done.bars.filter((_v, i) => i % 5 === 4).map((s) => done.states[s]));
    expect([...states]).toEqual(['succeeded']);

    const metrics = await call('GET', '/metrics', { role: 'viewer' });
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toMatch(
      new RegExp(`hvpatch_campaign_hosts\\{campaign="${id}",state="done"\\} [1-9]`),
    );
    expect(metrics.body).toMatch(/hvpatch_hosts_compliant\{compliant="true"\} [1-9]/);
    expect(metrics.body).toContain('hvpatch_fixes_overdue');
    expect(metrics.body).toMatch(/hvpatch_guest_downtime_seconds \d/);
    const impact = json<{ service: string; peak: number; budget: number | null }[]>(
      await call('GET', `/api/campaigns/${id}/impact`, { role: 'viewer' }),
    );
    expect(impact.length).toBeGreaterThan(0);
    for (const s of impact) if (s.budget !== null) expect(s.peak).toBeLessThanOrEqual(s.budget);
  });
});

describe('tokens files', () => {
  it('names the line and field of a bad entry', () => {
    const text =
      'tokens:\n  - name: a\n    role: viewer\n    sha256: ' +
      'a'.repeat(64) +
      '\n  - name: b\n    role: root\n    sha256: xyz\n';
    try {
      parseTokensFile(text, 'tokens.yaml');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(BadInput);
      const found = (error as BadInput).problems.map((p) => `${p.file}:${p.line}: ${p.path}`);
      expect(found).toEqual(['tokens.yaml:6: tokens[1].role', 'tokens.yaml:7: tokens[1].sha256']);
    }
  });

  it('refuses an owner without a service', () => {
    expect(() =>
      parseTokensFile(
        JSON.stringify({ tokens: [{ name: 'o', role: 'owner', sha256: 'b'.repeat(64) }] }),
        't.json',
      ),
    ).toThrow(/service/);
  });
});
