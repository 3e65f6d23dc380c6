/**
 * `npm run sdk:generate`: writes `sdk/src/generated.ts`, the typed surface of
 * the client SDK, from the route table (`functions/routes.ts`) and its zod
 * schemas, so the SDK cannot call a route that does not exist or send a body
 * the server would reject (issue 8).
 *
 * Output:
 * - TypeScript types (via JSON Schema and json-schema-to-typescript) for the
 *   shared models (`User`, `Chat`, `SharedChat`, `Message`, `Problem`), every route's
 *   params/query/body/response, every WebSocket action frame and server event;
 * - `routes`: method, path, auth and success status per operation;
 * - `Operations`: an abstract class with one typed method per HTTP route
 *   (lowerCamel of the route's `name`): path parameters positional, then the
 *   body or query object, then per-call options.
 *
 * `test/unit/sdk-generated.test.ts` regenerates it in memory and fails when
 * the committed file is stale. `generateSdkSource()` is exported for that test.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import * as z from 'zod';
import { httpRoutes, wsRoutes, type HttpRoute } from '../functions/routes';
import * as s from '../functions/schemas';

type Json = Record<string, any>;

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
const camel = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
/** `message.new` → `MessageNewEvent`. */
const eventTypeName = (type: string) => `${type.split('.').map(pascal).join('')}Event`;
const pathParams = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

/** Every type is named in a zod registry so shared models become references, not copies. */
async function typesFor(io: 'input' | 'output', entries: [string, z.ZodType][], shared: [string, z.ZodType][] = []): Promise<string> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of [...shared, ...entries]) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: (id) => `#/$defs/${id}` }) as { schemas: Record<string, Json> };
  const defs: Record<string, Json> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema;
    defs[id] = { ...rest, title: id };
  }
  const root: Json = {
    title: 'Root',
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(Object.keys(defs).map((id) => [id, { $ref: `#/$defs/${id}` }])),
    $defs: defs,
  };
  const source = await compile(root as JSONSchema, 'Root', {
    bannerComment: '',
    additionalProperties: false,
    declareExternallyReferenced: true,
    ignoreMinAndMaxItems: true,
    format: true,
    style: { singleQuote: true, printWidth: 120 },
  });
  // The synthetic root only exists to make every definition reachable.
  return source.replace(/export interface Root \{[^}]*\}\n/, '');
}

function isOptionalObject(schema: z.ZodType | undefined) {
  if (!schema) return true;
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return !json.required || json.required.length === 0;
}

function operationMethod(route: HttpRoute): string {
  const name = camel(route.name);
  const params = pathParams(route.path);
  const args = params.map((p) => `${p}: string`);
  let input = '{}';
  if (route.body) {
    args.push(`body${isOptionalObject(route.body) ? '?' : ''}: ${route.name}Body`);
    input = `{ body: body ?? {} }`;
  } else if (route.query) {
    args.push(`query?: ${route.name}Query`);
    input = '{ query }';
  }
  args.push('options?: RequestOptions');
  const result = route.response.status === 204 ? 'void' : route.response.body ? `${route.name}Response` : 'unknown';
  const doc = [`${route.summary}`, '', `\`${route.method} ${route.path}\` (${route.access}); answers ${route.response.status}.`];
  return [
    `  /**`,
    ...doc.map((line) => `   *${line ? ` ${line.replace(/\*\//g, '*\\/')}` : ''}`),
    `   */`,
    `  ${name}(${args.join(', ')}): Promise<${result}> {`,
    `    return this.request(routes.${name}, ${params.length ? `{ ${params.join(', ')} }` : '{}'}, ${input}, options) as Promise<${result}>;`,
    `  }`,
  ].join('\n');
}

/** The whole `sdk/src/generated.ts` source. */
export async function generateSdkSource(): Promise<string> {
  const routes = httpRoutes as readonly HttpRoute[];
  const inputs: [string, z.ZodType][] = [];
  const outputs: [string, z.ZodType][] = [];
  for (const route of routes) {
    if (route.params) inputs.push([`${route.name}Params`, route.params]);
    if (route.query) inputs.push([`${route.name}Query`, route.query]);
    if (route.body) inputs.push([`${route.name}Body`, route.body]);
    if (route.response.body) outputs.push([`${route.name}Response`, route.response.body]);
  }
  for (const route of wsRoutes) if ('frame' in route && route.frame) inputs.push([`${pascal(route.routeKey)}Action`, route.frame]);
  const events = Object.entries(s.ServerEvents) as [string, z.ZodType][];
  for (const [type, schema] of events) outputs.push([eventTypeName(type), schema]);

  const shared: [string, z.ZodType][] = [
    ['User', s.User],
    ['Chat', s.Chat],
    ['SharedChat', s.ChatShared],
    ['Message', s.Message],
    ['Problem', s.Problem],
  ];
  const inputTypes = await typesFor('input', inputs);
  // `SharedChat` is `Chat` without the caller's own fields: say so, rather than repeat every field.
  const callerFields = Object.keys(s.Chat.shape).filter((key) => !(key in s.ChatShared.shape));
  const outputTypes = (await typesFor('output', outputs, shared)).replace(
    /export interface SharedChat \{[\s\S]*?\n\}\n/,
    `/** A chat as an event shows it to every participant. */\nexport type SharedChat = Omit<Chat, ${callerFields.map((key) => `'${key}'`).join(' | ')}>;\n`,
  );

  const routeTable = routes.map(
    (r) => `  ${camel(r.name)}: { method: '${r.method}', path: '${r.path}', auth: '${r.auth}', status: ${r.response.status} },`,
  );
  const eventMap = events.map(([type]) => `  '${type}': ${eventTypeName(type)};`);
  const actionMap = wsRoutes.filter((r) => 'frame' in r && r.frame).map((r) => `  ${r.routeKey}: ${pascal(r.routeKey)}Action;`);

  return `/* eslint-disable */
// Generated by \`npm run sdk:generate\` (scripts/generate-sdk.ts) from functions/routes.ts
// and functions/schemas.ts. Do not edit: change the route table and regenerate.

// ---- Shared models, responses and server events (what the server sends) ----

${outputTypes.trim()}

// ---- Request bodies, queries and WebSocket actions (what a client sends) ----

${inputTypes.trim()}

/** Every server frame by its \`type\`. */
export interface ServerFrameMap {
${eventMap.join('\n')}
}

/** Every WebSocket action frame by its \`action\` (route key). */
export interface ActionFrameMap {
${actionMap.join('\n')}
}

/** One HTTP operation of the route table. */
export interface RouteInfo {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway path syntax: \`{param}\` segments. */
  readonly path: string;
  /** \`user\`: needs a bearer token; \`none\`: public. */
  readonly auth: 'none' | 'user';
  /** Success status. */
  readonly status: number;
}

/** The HTTP routes by operation name (lowerCamel of the route table's \`name\`). */
export const routes = {
${routeTable.join('\n')}
} as const satisfies Record<string, RouteInfo>;

export type OperationName = keyof typeof routes;

/** Per-call options. */
export interface RequestOptions {
  /** Aborts the request (e.g. a component unmounting). */
  signal?: AbortSignal;
  /** Extra headers, e.g. a correlation id. */
  headers?: Record<string, string>;
  /**
   * Called with the success response's status and headers before the body is
   * returned: tells a create (201) from a find (200), a send from a
   * \`clientMessageId\` replay (200), and carries the request id.
   */
  onResponse?: (response: { status: number; headers: Headers }) => void;
}

/** What an operation sends besides its path parameters. */
export interface OperationInput {
  body?: unknown;
  query?: object;
}

/** One typed method per HTTP route; \`ChatClient\` supplies \`request\`. */
export abstract class Operations {
  protected abstract request(route: RouteInfo, params: Record<string, string>, input: OperationInput, options?: RequestOptions): Promise<unknown>;

${routes.map(operationMethod).join('\n\n')}
}
`;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const GENERATED_PATH = resolve(root, 'sdk/src/generated.ts');

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await writeFile(GENERATED_PATH, await generateSdkSource());
  console.log(`wrote ${GENERATED_PATH}`);
}
