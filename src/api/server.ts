import type { ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Advisory } from '../core/advisories/index.js';
import { PermissionDenied } from '../core/errors.js';
import { Policy, type Fleet } from '../core/model/index.js';
import type { FaultPlan } from '../core/sim/index.js';
import type { SimEnvironment } from '../drivers/sim/index.js';
import type { ExecutorPolicy } from '../engine/index.js';
import type { WebhookEndpoints } from '../engine/owners/index.js';
import { openStore, type CampaignStore, type StoreOptions } from '../store/index.js';
import { allowed, createAuthenticator, type Principal, type TokenEntry } from './access.js';
import type { ApiContext } from './context.js';
import { loadDashboardAssets } from './dashboard-assets.js';
import { createCampaignViews } from './campaign-views.js';
import { createFleetView } from './fleet-view.js';
import { errorResponse, UNAUTHENTICATED } from './http-errors.js';
import { createMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { createPreviewPlanner } from './preview-planner.js';
import { createPreviews } from './previews.js';
import { parsePart, type Route } from './route.js';
import { campaignRoutes } from './routes/campaigns.js';
import { eventRoutes } from './routes/events.js';
import { fleetRoutes } from './routes/fleet.js';
import { planRoutes } from './routes/plans.js';
import { systemRoutes } from './routes/system.js';
import { openServedWorld, type ServedWorld } from './served-world.js';
import { createCampaignRunner } from './sim-runner.js';
import { commandGuestPatcher } from '../drivers/hooks/guest-patch-command.js';

export const API_VERSION = '0.1.0';

export interface ServerOptions {
  /** The inventory; the server runs it on the simulator, which campaigns then change. */
  fleet: Fleet;
  advisories: readonly Advisory[];
  /** Deadlines for compliance and the default policy of plan previews; defaults when absent. */
  policy?: Policy;
  /** Who may call: hashes only (see `hashToken`, `generateTokens`, `parseTokensFile`). */
  tokens: readonly TokenEntry[];
  /** An open store (left open on close) or where to open one (closed on close); in memory when absent. */
  store?: CampaignStore | StoreOptions;
  sim?: {
    seed?: number;
    faults?: FaultPlan;
    /** Simulated milliseconds per real one while a campaign runs (default 600: ten minutes a second). */
    speed?: number;
    /** Epoch ms the simulated clock starts at (default: now). */
    startTime?: number;
  };
  executorPolicy?: Partial<ExecutorPolicy>;
  /**
   * The owners' webhook endpoints: campaigns then notify the owners of the services they
   * disrupt and hold hosts for notice periods and the consent `policy` asks for. Without
   * them nobody is told, and starting a campaign logs which services ask for notice.
   */
  owners?: WebhookEndpoints;
  /**
   * Where the simulated world is kept across restarts (`world.json` and `journal.ndjson`, as
   * `hvpatch run` keeps them): it comes back where the last server left it, and the campaigns
   * the store says are running get their worker again. Without it the world starts afresh from
   * `fleet` and `sim`, and campaigns found running are left for someone to act on.
   */
  simDir?: string;
  /** A simulated world already running (the demo's): shown and used instead of a new one from `fleet` and `sim`. */
  world?: SimEnvironment;
  /** What an operator should know as the server starts, a line at a time (default: the server's log). */
  report?: (line: string) => void;
  /** Default 127.0.0.1 and a free port. */
  host?: string;
  port?: number;
  /** Request logs (method, path, status; never headers) on standard error. */
  log?: boolean;
}

export interface ApiServer {
  app: FastifyInstance;
  close(): Promise<void>;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const ANONYMOUS: Principal = { name: 'anonymous', role: 'viewer' };

function isStore(value: ServerOptions['store']): value is CampaignStore {
  return value !== undefined && typeof (value as CampaignStore).createCampaign === 'function';
}

/** The API and the dashboard, ready for `inject` or `listen`. */
export async function createApiServer(options: ServerOptions): Promise<ApiServer> {
  const owned = isStore(options.store) ? undefined : await openStore(options.store ?? {});
  const store = owned ?? (options.store as CampaignStore);
  const app = Fastify({
    // On standard error, as `serve --help` says: standard output is for what a command prints.
    logger: options.log
      ? {
          level: 'info',
          stream: process.stderr,
          serializers: { req: (req) => ({ method: req.method, url: req.url.split('?')[0] }) },
        }
      : // Without request logs, what needs an operator's eye still shows.
        { level: 'warn', stream: process.stderr },
    bodyLimit: 16 * 1024 * 1024,
  });
  const say = (line: string) => (options.report ? options.report(line) : app.log.warn(line));
  let world: ServedWorld;
  try {
    // The demo's world is its own run's, which works its campaign: nothing to resume here.
    world =
      options.world !== undefined
        ? { env: options.world, kept: false }
        : await openServedWorld(
            {
              fleet: options.fleet,
              seed: options.sim?.seed ?? 1,
              ...(options.sim?.faults && { faults: options.sim.faults }),
              startTime: options.sim?.startTime ?? Date.now(),
              ...(options.simDir !== undefined && { dir: options.simDir }),
            },
            store,
            say,
          );
  } catch (error) {
    await owned?.close();
    throw error;
  }
  const { env } = world;
  const view = createFleetView({
    fleet: options.fleet,
    advisories: options.advisories,
    policy: options.policy ?? Policy.parse({}),
    sim: env.sim,
  });
  // Needs and compliance are computed before the first request rather than during it.
  view.compliance();
  const runner = createCampaignRunner({
    store,
    platform: env.platform,
    agent: env.hostAgent,
    clock: env.clock,
    speed: options.sim?.speed ?? 600,
    ...(options.executorPolicy && { policy: options.executorPolicy }),
    services: options.fleet.services,
    ownerConsent: options.policy?.approvals.ownerConsent ?? [],
    ...(options.owners && { owners: options.owners }),
    ...(options.policy?.guestPatchHook && {
      guestPatcher: commandGuestPatcher(options.policy.guestPatchHook),
    }),
    log: app.log,
    onWorkerEnd: (campaign, outcome) => {
      if ('error' in outcome) app.log.error({ err: outcome.error, campaign }, 'campaign worker failed');
      else
        app.log.info(
          { campaign, ...outcome, hostsHandled: outcome.hostsHandled.length },
          'campaign worker stopped',
        );
    },
  });
  const campaigns = createCampaignViews(store);
  const planner = createPreviewPlanner();
  const ctx: ApiContext = {
    store,
    campaigns,
    view,
    sim: env.sim,
    previews: createPreviews(view, planner, { tellsOwners: options.owners !== undefined }),
    runner,
    metrics: createMetrics({ store, campaigns, view, sim: env.sim }),
    version: API_VERSION,
  };
  const streams = new Set<ServerResponse>();
  let document: unknown;
  const routes: Route[] = [
    ...fleetRoutes(ctx),
    ...planRoutes(ctx),
    ...campaignRoutes(ctx),
    ...eventRoutes(ctx, streams),
    ...systemRoutes(ctx, () => (document ??= openApiDocument(routes, API_VERSION))),
  ];
  const auth = createAuthenticator(options.tokens);

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = errorResponse(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: {
        code: 'NOT_FOUND',
        message: `no route ${request.method} ${request.url.split('?')[0]}`,
        retryable: false,
      },
    }),
  );
  for (const r of routes) {
    app.route({
      method: r.method,
      url: r.url,
      handler: async (request, reply) => {
        let principal = ANONYMOUS;
        if (r.access !== 'public') {
          const who = auth.identify(request.headers.authorization);
          if (who === undefined)
            return reply.code(401).header('www-authenticate', 'Bearer').send(UNAUTHENTICATED);
          if (!allowed(who, r.access))
            throw new PermissionDenied(
              `${who.name} is a ${who.role}, who may not ${r.summary.toLowerCase()}`,
            );
          principal = who;
        }
        const input = {
          params: parsePart(r.params, request.params, 'params'),
          query: parsePart(r.query, request.query, 'query'),
          body: parsePart(r.body, request.body, 'body'),
        };
        const result = await r.handle({ ...input, principal, request, reply });
        return reply.sent ? reply : result;
      },
    });
  }

  const assets = await loadDashboardAssets();
  const index = assets.get('index.html')!;
  app.get('/', (_request, reply) => reply.type(index.type).send(index.body));
  app.get<{ Params: { file: string } }>('/assets/:file', (request, reply) => {
    const asset = assets.get(request.params.file);
    if (asset === undefined)
      return reply
        .code(404)
        .send({ error: { code: 'NOT_FOUND', message: 'no such asset', retryable: false } });
    return reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
  });

  app.addHook('preClose', async () => {
    for (const stream of streams) stream.end();
  });
  // After the world is back where they left it, and before anyone can act on them.
  if (world.kept) await runner.resumeRunning(say);
  else if (options.world === undefined)
    for (const c of await store.campaigns())
      if (c.state === 'running')
        say(
          `campaign ${c.id} is running, but the simulated world it ran on was not kept: it was not resumed`,
        );
  return {
    app,
    async close() {
      await app.close();
      await planner.close();
      await runner.close();
      await owned?.close();
    },
  };
}

/** Starts the API and the dashboard; `url` is where to point a browser. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const server = await createApiServer(options);
  try {
    const address = await server.app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    return { url: address.replace(/\/?$/, '/'), close: server.close };
  } catch (error) {
    await server.close();
    throw error;
  }
}
