/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the route table
 * (`functions/routes.ts`), its zod schemas and every status each route
 * answers (`httpResponses()` in `functions/contract.ts`), so the
 * documentation cannot drift from what the handlers validate and answer.
 * Served at `GET /openapi.json` by the deployed stack and the local stack
 * alike.
 */
import { httpResponses, type AnswerBody } from '../contract';
import { httpRoutes, type HttpRoute } from '../routes';
import { ApiGatewayError, Problem } from '../schemas';
import { jsonSchema, type JsonSchema } from './json-schema';

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

const refs = { problem: { $ref: '#/components/schemas/Problem' }, gateway: { $ref: '#/components/schemas/ApiGatewayError' } } as const;
const RETRY_AFTER = { 'Retry-After': { description: 'Seconds until a retry can succeed.', schema: { type: 'integer', minimum: 0 } } };

/** OpenAPI `content`: one entry per media type, alternatives of one media type as `oneOf`. */
function content(bodies: readonly AnswerBody[]) {
  const byType = new Map<string, JsonSchema[]>();
  for (const body of bodies) {
    const [type, schema] =
      body.kind === 'json' ? [body.contentType, jsonSchema(body.schema, 'output')] : body.kind === 'problem' ? ['application/problem+json', refs.problem] : ['application/json', refs.gateway];
    byType.set(type, [...(byType.get(type) ?? []), schema]);
  }
  return Object.fromEntries([...byType].map(([type, schemas]) => [type, { schema: schemas.length === 1 ? schemas[0] : { oneOf: schemas } }]));
}

function operation(route: HttpRoute) {
  const responses: Record<string, unknown> = {};
  for (const [status, answer] of httpResponses(route)) {
    responses[status] = {
      description: answer.description,
      ...(answer.bodies.length ? { content: content(answer.bodies) } : {}),
      ...([409, 429, 503].includes(status) ? { headers: RETRY_AFTER } : {}),
    };
  }
  return {
    operationId: route.name.charAt(0).toLowerCase() + route.name.slice(1),
    summary: route.summary,
    description: `Who: ${route.access}.`,
    ...(route.auth === 'user' ? { security: [{ bearer: [] }] } : { security: [] }),
    parameters: [...parameters(route, 'path'), ...parameters(route, 'query')],
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
    responses,
  };
}

/** The whole document; `serverUrl` is the API's base URL when known (`http://127.0.0.1:3000` locally). */
export function openApiDocument(options: { version: string; serverUrl?: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of httpRoutes as readonly HttpRoute[]) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0' as const,
    info: {
      title: 'Serverless chat',
      version: options.version,
      description:
        'HTTP API of the chat service (SPEC §4). Real-time events are on the WebSocket API (`/asyncapi.json`). Errors are RFC 9457 problems (`application/problem+json`); answers API Gateway gives itself (throttling, payload quota, timeouts) are `{"message": …}`.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: jsonSchema(Problem, 'output'), ApiGatewayError: jsonSchema(ApiGatewayError, 'output') },
    },
    paths,
  };
}
