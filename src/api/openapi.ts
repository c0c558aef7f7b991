import { z } from 'zod';
import { ErrorBody } from './http-errors.js';
import type { Route } from './route.js';

type JsonSchema = Record<string, unknown>;

const schemaOf = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

/** `/api/campaigns/:id` → `/api/campaigns/{id}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z_]\w*)/g, '{$1}');

/** Path and query parameters, one per property of the part's object schema. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (schema === undefined) return [];
  const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** The OpenAPI 3.1 document of the routes, generated from the schemas that validate them. */
export function openApiDocument(routes: readonly Route[], version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const responses: Record<string, unknown> = {
      200: {
        description: 'success',
        content: {
          [route.produces ?? 'application/json']: {
            schema: route.response ? schemaOf(route.response, 'output') : {},
          },
        },
      },
    };
    if (route.params || route.query || route.body)
      responses[400] = errorResponse('bad request: every wrong field with its path');
    if (route.access !== 'public') {
      responses[401] = errorResponse('no token, or one the server does not know');
      responses[403] = errorResponse('the token’s role may not do this');
    }
    if (route.params) responses[404] = errorResponse('no such thing');
    if (route.method === 'POST') responses[409] = errorResponse('refused in the current state');
    const operation: Record<string, unknown> = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method.toLowerCase()}${openApiPath(route.url).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c?: string) => (c ?? '').toUpperCase())}`,
      'x-hvpatch-access': route.access,
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      responses,
      ...(route.access !== 'public' && { security: [{ bearer: [] }] }),
      ...(route.body && {
        requestBody: {
          required: true,
          content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
        },
      }),
    };
    (paths[openApiPath(route.url)] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'hvpatch API',
      version,
      description:
        'Fleet compliance, plan previews and patch campaigns. Send an API token as `Authorization: Bearer <token>`; roles: viewer, operator, approver, and owner (of one service).',
    },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: schemaOf(ErrorBody, 'output') },
    },
  };
}
