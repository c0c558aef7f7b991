import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { route, type Route } from '../route.js';

const PAGE = 500;
const KEEP_ALIVE_MS = 15_000;
const REWATCH_MS = 1_000;

/**
 * Server-sent events: the campaign's audit trail from `after` (or the `Last-Event-ID` a
 * reconnecting client sends) on, then each new event as it commits. The store's watch only
 * says "there is news"; the events themselves are always read from the store by id, so a
 * lost notification or a reconnect never skips or repeats one.
 */
export function eventRoutes(ctx: ApiContext, streams: Set<ServerResponse>): Route[] {
  return [
    route({
      method: 'GET',
      url: '/api/campaigns/:id/events/stream',
      tag: 'campaigns',
      summary: 'The audit trail live, as server-sent events (one event per store event, `id` for resuming)',
      access: 'read',
      produces: 'text/event-stream',
      params: z.object({ id: z.string().min(1) }),
      query: z.object({ after: z.coerce.number().int().min(0).optional() }),
      handle: async ({ params, query, request, reply }) => {
        const resumeFrom = Number(request.headers['last-event-id']);
        let last = Number.isInteger(resumeFrom) && resumeFrom >= 0 ? resumeFrom : (query.after ?? 0);
        // Before the headers go out, so that an unknown campaign is a plain 404.
        await ctx.store.events(params.id, { after: 0, limit: 1 });
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        streams.add(res);
        let closed = false;
        let reading = false;
        let again = false;
        let unlisten: (() => Promise<void>) | undefined;
        const pump = async (): Promise<void> => {
          if (reading) {
            again = true;
            return;
          }
          reading = true;
          try {
            do {
              again = false;
              for (;;) {
                const page = await ctx.store.events(params.id, { after: last, limit: PAGE });
                if (closed) return;
                for (const event of page) {
                  res.write(`id: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`);
                  last = event.id;
                }
                if (page.length < PAGE) break;
              }
            } while (again && !closed);
          } catch (error) {
            request.log.warn(
              { err: error },
              'event stream read failed; the client reconnects with Last-Event-ID',
            );
            res.end();
          } finally {
            reading = false;
          }
        };
        const watch = async (): Promise<void> => {
          if (closed) return;
          unlisten = await ctx.store.watchEvents(
            params.id,
            () => void pump(),
            () => setTimeout(() => void watch().then(pump), REWATCH_MS).unref(),
          );
          if (closed) await unlisten();
        };
        const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
        res.on('close', () => {
          closed = true;
          clearInterval(keepAlive);
          streams.delete(res);
          void unlisten?.();
        });
        await watch();
        await pump();
      },
    }),
  ];
}
