import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import {
  BadInput,
  Conflict,
  NotFound,
  PermissionDenied,
  TimedOut,
  Unavailable,
  type ErrorCode,
} from '../../core/errors.js';
import { errorResponse } from '../../api/http-errors.js';
import type { OwnerReply } from '../../engine/owners/index.js';
import type { CampaignSummary, StoreEvent } from '../../store/index.js';
import type { CampaignAccess, ControlVerb } from './access.js';
import type { CampaignStatus } from './status.js';

/**
 * The live run's control socket: a Unix socket in its data directory, because embedded PGlite
 * lets only the run's own process open the store. Plain HTTP/1.1 with JSON over it, so it can
 * also be reached with `curl --unix-socket DIR/control.sock http://run/status`.
 */
const Why = z.object({ actor: z.string().min(1), reason: z.string().min(1) });
const Answer = z.object({
  service: z.string().min(1),
  actor: z.string().min(1),
  consent: z.boolean(),
  reason: z.string().optional(),
});
const VERBS: readonly ControlVerb[] = ['pause', 'resume', 'abort'];

export function serveControl(socket: string, access: CampaignAccess): Promise<() => Promise<void>> {
  const server = createServer((req, res) => {
    handle(access, req, res).catch((error: unknown) => {
      const { status, body } = errorResponse(
        error instanceof SyntaxError
          ? new BadInput([{ path: 'body', message: `not JSON: ${error.message}` }])
          : error,
      );
      reply(res, status, body);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => {
      server.off('error', reject);
      resolve(() => new Promise<void>((done) => server.close(() => done())));
    });
  });
}

async function handle(access: CampaignAccess, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://run');
  if (req.method === 'GET' && url.pathname === '/status') return reply(res, 200, await access.status());
  if (req.method === 'GET' && url.pathname === '/events') {
    const after = Number(url.searchParams.get('after') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 1000);
    return reply(res, 200, await access.events({ after, limit }));
  }
  if (req.method === 'POST' && url.pathname === '/answer') {
    const parsed = Answer.safeParse(JSON.parse((await body(req)) || '{}'));
    if (!parsed.success)
      throw new BadInput(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
    const { reason, ...answer } = parsed.data;
    return reply(res, 200, await access.answer({ ...answer, ...(reason !== undefined && { reason }) }));
  }
  const verb = url.pathname.slice(1) as ControlVerb;
  if (req.method === 'POST' && VERBS.includes(verb)) {
    const parsed = Why.safeParse(JSON.parse((await body(req)) || '{}'));
    if (!parsed.success)
      throw new BadInput(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
    return reply(res, 200, await access.control(verb, parsed.data));
  }
  throw new NotFound(`no ${req.method} ${url.pathname} on the control socket`);
}

/** The campaign of a live run, through its control socket. */
export function controlClient(socket: string): CampaignAccess {
  return {
    status: () => call<CampaignStatus>(socket, 'GET', '/status'),
    events: ({ after = 0, limit = 1000 }) =>
      call<StoreEvent[]>(socket, 'GET', `/events?after=${after}&limit=${limit}`),
    control: (verb, why) => call<CampaignSummary>(socket, 'POST', `/${verb}`, why),
    answer: (answer) => call<OwnerReply>(socket, 'POST', '/answer', answer),
    close: async () => undefined,
  };
}

/** A run that has just taken its data directory opens its socket a moment later. */
const STARTING_RUN_WAIT_MS = 30_000;

async function call<T>(socket: string, method: string, path: string, payload?: unknown): Promise<T> {
  const deadline = Date.now() + STARTING_RUN_WAIT_MS;
  for (;;) {
    try {
      return await callOnce<T>(socket, method, path, payload);
    } catch (error) {
      const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
      if ((code !== 'ENOENT' && code !== 'ECONNREFUSED') || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function callOnce<T>(socket: string, method: string, path: string, payload?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: socket, method, path, headers: { 'content-type': 'application/json' } },
      (res) => {
        body(res).then((text) => {
          const value = JSON.parse(text) as T & { error?: { code: ErrorCode; message: string } };
          if ((res.statusCode ?? 500) >= 400 && value.error) reject(errorOf(value.error));
          else resolve(value);
        }, reject);
      },
    );
    req.on('error', (error) =>
      reject(
        new Unavailable(`the run's control socket ${socket} does not answer: ${error.message}`, {
          cause: error,
        }),
      ),
    );
    req.end(payload === undefined ? undefined : JSON.stringify(payload));
  });
}

function body(stream: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

/** The same error on this side of the socket, so the CLI exits as if it had opened the store itself. */
function errorOf({ code, message }: { code: ErrorCode | 'INTERNAL'; message: string }): Error {
  switch (code) {
    case 'BAD_INPUT':
      return new BadInput([{ message }]);
    case 'NOT_FOUND':
      return new NotFound(message);
    case 'CONFLICT':
      return new Conflict(message);
    case 'TIMED_OUT':
      return new TimedOut(message);
    case 'UNAVAILABLE':
      return new Unavailable(message);
    case 'PERMISSION_DENIED':
      return new PermissionDenied(message);
    default:
      return new Error(message);
  }
}
