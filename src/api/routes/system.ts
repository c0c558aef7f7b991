import type { ApiContext } from '../context.js';
import { route, type Route } from '../route.js';

export function systemRoutes(ctx: ApiContext, openApi: () => unknown): Route[] {
  return [
    route({
      method: 'GET',
      url: '/openapi.json',
      tag: 'system',
      summary: 'This document',
      access: 'public',
      handle: async () => openApi(),
    }),
    route({
      method: 'GET',
      url: '/metrics',
      tag: 'system',
      summary:
        'Prometheus metrics: hosts by state, compliance, overdue fixes, guest downtime, campaign hosts and actions by state',
      access: 'read',
      produces: 'text/plain; version=0.0.4',
      handle: async ({ reply }) => {
        reply.type(ctx.metrics.contentType);
        return ctx.metrics.metrics();
      },
    }),
  ];
}
