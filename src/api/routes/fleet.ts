import { z } from 'zod';
import { NotFound } from '../../core/errors.js';
import { SEVERITY_BUCKETS } from '../../core/needs/index.js';
import { ROLES } from '../access.js';
import type { ApiContext } from '../context.js';
import { route, type Route } from '../route.js';

const Whoami = z.object({ name: z.string(), role: z.enum(ROLES), service: z.string().optional() });

export const HostRow = z.object({
  id: z.string(),
  cluster: z.string(),
  failureDomain: z.string(),
  /** What the platform says now: enabled, disabled, rebooting, down, degraded. */
  state: z.string(),
  guests: z.number(),
  compliant: z.boolean(),
  needs: z.number(),
  notInEffect: z.number(),
  overdue: z.number(),
  severity: z.string().nullable(),
  due: z.string().nullable(),
  reasons: z.array(z.string()),
});

const Page = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

const Compliance = z.object({
  generatedAt: z.string(),
  totals: z.object({
    hosts: z.number(),
    compliant: z.number(),
    nonCompliant: z.number(),
    needs: z.number(),
    notInEffect: z.number(),
    overdue: z.number(),
    cves: z.number(),
  }),
  bySeverity: z.array(
    z.object({
      severity: z.enum(SEVERITY_BUCKETS as [string, ...string[]]),
      needs: z.number(),
      notInEffect: z.number(),
      overdue: z.number(),
      hosts: z.number(),
      cves: z.number(),
    }),
  ),
  byCve: z.array(
    z.object({
      cve: z.string(),
      severity: z.string().nullable(),
      advisories: z.array(z.string()),
      hosts: z.number(),
      notInEffect: z.number(),
      overdue: z.number(),
    }),
  ),
});

const HostId = z.object({ id: z.string().min(1) });

export function fleetRoutes(ctx: ApiContext): Route[] {
  const rows = () => {
    const guests = new Map<string, number>();
    for (const g of ctx.sim.guests()) guests.set(g.host, (guests.get(g.host) ?? 0) + 1);
    const compliance = new Map(ctx.view.compliance().byHost.map((h) => [h.host, h]));
    return ctx.view.inventory.hosts.map((host) => {
      const c = compliance.get(host.id)!;
      return {
        id: host.id,
        cluster: host.cluster,
        failureDomain: host.failureDomain,
        state: ctx.view.hostState(host.id),
        guests: guests.get(host.id) ?? 0,
        compliant: c.compliant,
        needs: c.needs,
        notInEffect: c.notInEffect,
        overdue: c.overdue,
        severity: c.severity,
        due: c.due,
        reasons: c.reasons,
      };
    });
  };
  return [
    route({
      method: 'GET',
      url: '/api/whoami',
      tag: 'access',
      summary: 'The token’s name and role (never the token)',
      access: 'read',
      response: Whoami,
      handle: async ({ principal }) => principal,
    }),
    route({
      method: 'GET',
      url: '/api/fleet',
      tag: 'fleet',
      summary: 'The fleet in numbers: hosts, guests, clusters, services with their budgets',
      access: 'read',
      response: z.object({
        name: z.string().nullable(),
        now: z.string(),
        hosts: z.number(),
        guests: z.number(),
        clusters: z.array(z.string()),
        services: z.array(z.object({ id: z.string(), owner: z.string(), guests: z.number() })),
      }),
      handle: async () => {
        const { inventory } = ctx.view;
        const perService = new Map<string, number>();
        for (const g of inventory.guests)
          if (g.service) perService.set(g.service, (perService.get(g.service) ?? 0) + 1);
        return {
          name: inventory.name ?? null,
          now: new Date(ctx.view.now()).toISOString(),
          hosts: inventory.hosts.length,
          guests: inventory.guests.length,
          clusters: inventory.clusters.map((c) => c.id),
          services: inventory.services.map((s) => ({
            id: s.id,
            owner: s.owner,
            guests: perService.get(s.id) ?? 0,
          })),
        };
      },
    }),
    route({
      method: 'GET',
      url: '/api/hosts',
      tag: 'fleet',
      summary: 'Hosts with their platform state and compliance, a page at a time',
      access: 'read',
      query: Page.extend({ compliant: z.enum(['true', 'false']).optional() }),
      response: z.object({ total: z.number(), hosts: z.array(HostRow) }),
      handle: async ({ query }) => {
        const all = rows().filter(
          (r) => query.compliant === undefined || String(r.compliant) === query.compliant,
        );
        return { total: all.length, hosts: all.slice(query.offset, query.offset + query.limit) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/hosts/:id',
      tag: 'fleet',
      summary: 'One host: its row, its needs and what is installed but not in effect',
      access: 'read',
      params: HostId,
      handle: async ({ params }) => {
        const row = rows().find((r) => r.id === params.id);
        if (row === undefined) throw new NotFound(`no host ${params.id}`);
        const needs = ctx.view.needs().find((n) => n.host === params.id)!;
        return { ...row, needRows: needs.needs, held: needs.notInEffect };
      },
    }),
    route({
      method: 'GET',
      url: '/api/needs',
      tag: 'fleet',
      summary: 'Needed fixes (the rows of `hvpatch needs --json`), a page of hosts at a time',
      access: 'read',
      query: Page.extend({ host: z.string().min(1).optional() }),
      handle: async ({ query }) => {
        const all = ctx.view.needs().filter((n) => query.host === undefined || n.host === query.host);
        if (query.host !== undefined && all.length === 0) throw new NotFound(`no host ${query.host}`);
        return {
          total: all.length,
          needs: all.slice(query.offset, query.offset + query.limit).flatMap((h) => h.needs),
        };
      },
    }),
    route({
      method: 'GET',
      url: '/api/compliance',
      tag: 'fleet',
      summary: 'Fleet compliance: totals, by severity (needs, not in effect, overdue), by CVE',
      access: 'read',
      response: Compliance,
      handle: async () => {
        const report = ctx.view.compliance();
        return {
          generatedAt: report.generatedAt,
          totals: report.totals,
          bySeverity: report.bySeverity,
          byCve: report.byCve.map((c) => ({
            cve: c.cve,
            severity: c.severity,
            advisories: c.advisories,
            hosts: c.hosts.length,
            notInEffect: c.notInEffect.length,
            overdue: c.overdue.length,
          })),
        };
      },
    }),
  ];
}
