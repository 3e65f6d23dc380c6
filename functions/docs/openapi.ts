/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the route table
 * (`functions/routes.ts`) and its zod schemas, so the documentation cannot
 * drift from what the handlers validate. Served at `GET /openapi.json` by
 * the deployed stack and the local stack alike.
 */
import * as z from 'zod';
import { httpRoutes, type HttpRoute } from '../routes';
import { Problem } from '../schemas';

type JsonSchema = Record<string, unknown>;

/** zod → JSON Schema 2020-12 (OpenAPI 3.1's dialect); refinements that JSON Schema cannot express are omitted. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parameters(route: HttpRoute, where: 'path' | 'query') {
  const schema = where === 'path' ? route.params : route.query;
  if (!schema) return [];
  const json = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

function operation(route: HttpRoute) {
  const responses: Record<string, unknown> = {
    [route.response.status]: route.response.body
      ? { description: 'Success', content: { 'application/json': { schema: jsonSchema(route.response.body, 'output') } } }
      : { description: 'Success' },
    400: problem('Invalid input (`bad_request`, `attachment_not_uploaded`)'),
    500: problem('Unexpected error (`internal`); 503 when the service is busy, with Retry-After'),
  };
  if (route.auth === 'user') {
    responses[401] = problem('Missing or invalid bearer token (`unauthorized`)');
    responses[403] = problem('Not allowed (`forbidden`, `edit_window_expired`)');
    responses[404] = problem('Not found, or a chat the caller may not see (`not_found`)');
    responses[429] = problem('Rate limited (`rate_limited`), see Retry-After');
  }
  return {
    operationId: route.name.charAt(0).toLowerCase() + route.name.slice(1),
    summary: route.summary,
    description: `Who: ${route.access}.${route.rateLimit ? ` Takes a slot of the per-user \`${route.rateLimit}\` rate limit (429 with Retry-After past it).` : ''}`,
    ...(route.auth === 'user' ? { security: [{ bearer: [] }] } : { security: [] }),
    parameters: [...parameters(route, 'path'), ...parameters(route, 'query')],
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
    responses,
  };
}

/** The whole document; `serverUrl` is the API's base URL when known. */
export function openApiDocument(options: { version: string; serverUrl?: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of httpRoutes as readonly HttpRoute[]) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Serverless chat',
      version: options.version,
      description: 'HTTP API of the chat service (SPEC §4). Real-time events are on the WebSocket API.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: jsonSchema(Problem, 'output') },
    },
    paths,
  };
}
