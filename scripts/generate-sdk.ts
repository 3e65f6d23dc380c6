/**
 * `npm run sdk:generate`: writes `sdk/src/generated.ts`, the typed surface of
 * the client SDK, from the route table (`functions/routes.ts`) and its zod
 * schemas, so the SDK cannot call a route that does not exist or send a body
 * the server would reject (issue 8).
 *
 * Output:
 * - TypeScript types (via JSON Schema and json-schema-to-typescript) for the
 *   shared models (`User`, `Chat`, `SharedChat`, `Message`, `Problem`, `ErrorCode`,
 *   `FieldError`), every route's
 *   params/query/body/response, every WebSocket action frame, the frame
 *   answering it, and every server event;
 * - `routes`: method, path, auth and success status per operation, and the
 *   route table's SDK facts: `idempotencyKey` (the body field the client
 *   fills in so that a retry stores nothing twice) and `paging`;
 * - `Operations`: an abstract class with one typed method per HTTP route
 *   (lowerCamel of the route's `name`): path parameters positional, then the
 *   body or query object, then per-call options; and for every paged route a
 *   `…Pages` async iterator over its pages;
 * - `WS_LIMITS`: API Gateway's WebSocket quotas (`functions/api-gateway.ts`).
 *
 * `test/unit/sdk-client.test.ts` regenerates it in memory and fails when
 * the committed file is stale. `generateSdkSource()` is exported for that test.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import * as z from 'zod';
import { WS_IDLE_TIMEOUT_MS, WS_MAX_CONNECTION_MS, WS_MAX_FRAME_BYTES, WS_MAX_MESSAGE_BYTES } from '../functions/api-gateway';
import { httpRoutes, wsRoutes, type HttpRoute, type WsRoute } from '../functions/routes';
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
  const others = Object.entries(route.statuses ?? {}).filter(([status]) => status.startsWith('2'));
  const also = others.map(([status, fact]) => ` ${status}: ${typeof fact === 'string' ? fact : fact.description}`).join('');
  const doc = [`${route.summary}`, '', `\`${route.method} ${route.path}\` (${route.access}); answers ${route.response.status}.${also}`];
  const method = [
    ...docComment(doc),
    `  ${name}(${args.join(', ')}): Promise<${result}> {`,
    `    return this.request(routes.${name}, ${params.length ? `{ ${params.join(', ')} }` : '{}'}, ${input}, options) as Promise<${result}>;`,
    `  }`,
  ];
  return [...method, ...(route.paging ? pagesMethod(route, params) : [])].join('\n');
}

const docComment = (lines: string[]) => [`  /**`, ...lines.map((line) => `   *${line ? ` ${line.replace(/\*\//g, '*\\/')}` : ''}`), `   */`];

/** `listChatsPages(query?, options?)`: an async iterator over every page, from the route table's `paging`. */
function pagesMethod(route: HttpRoute, params: string[]): string[] {
  const name = camel(route.name);
  const { next, cursor } = route.paging!;
  const via = cursor.length === 1 ? `\`${cursor[0]}\`` : `${cursor.map((c) => `\`${c}\``).join(' or ')}, whichever the first request used (default \`${cursor[0]}\`)`;
  const args = [...params.map((p) => `${p}: string`), `query: ${route.name}Query = {}`, 'options?: RequestOptions'];
  return [
    '',
    ...docComment([`Every page of {@link ${name}}, in order: each page's \`${next}\` is passed back as ${via} until it is null.`]),
    `  ${name}Pages(${args.join(', ')}): AsyncGenerator<${route.name}Response> {`,
    `    return this.pages(routes.${name}, ${params.length ? `{ ${params.join(', ')} }` : '{}'}, query, options) as AsyncGenerator<${route.name}Response>;`,
    `  }`,
  ];
}

/** A route's entry in the generated `routes` table: what a client needs at run time. */
function routeInfo(route: HttpRoute): string {
  const facts = [`method: '${route.method}'`, `path: '${route.path}'`, `auth: '${route.auth}'`, `status: ${route.response.status}`];
  if (route.idempotencyKey) facts.push(`idempotencyKey: '${route.idempotencyKey}'`);
  if (route.paging) {
    const { items, next, cursor } = route.paging;
    facts.push(`paging: { items: '${items}', next: '${next}', cursor: [${cursor.map((c) => `'${c}'`).join(', ')}] }`);
  }
  return `  ${camel(route.name)}: { ${facts.join(', ')} },`;
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
  const actions = (wsRoutes as readonly WsRoute[]).filter((route) => route.frame);
  for (const route of actions) {
    inputs.push([`${pascal(route.routeKey)}Action`, route.frame!]);
    outputs.push([`${pascal(route.routeKey)}Answer`, route.answer!]);
  }
  const events = Object.entries(s.ServerEvents) as [string, z.ZodType][];
  for (const [type, schema] of events) outputs.push([eventTypeName(type), schema]);

  const shared: [string, z.ZodType][] = [
    ['User', s.User],
    ['Chat', s.Chat],
    ['SharedChat', s.ChatShared],
    ['Message', s.Message],
    ['Problem', s.Problem],
    ['ErrorCode', s.ErrorCode],
    ['FieldError', s.FieldError],
  ];
  const inputTypes = await typesFor('input', inputs);
  // `SharedChat` is `Chat` without the caller's own fields: say so, rather than repeat every field.
  const callerFields = Object.keys(s.Chat.shape).filter((key) => !(key in s.ChatShared.shape));
  const outputTypes = (await typesFor('output', outputs, shared)).replace(
    /export interface SharedChat \{[\s\S]*?\n\}\n/,
    `/** A chat as an event shows it to every participant. */\nexport type SharedChat = Omit<Chat, ${callerFields.map((key) => `'${key}'`).join(' | ')}>;\n`,
  );

  const routeTable = routes.map(routeInfo);
  const eventMap = events.map(([type]) => `  '${type}': ${eventTypeName(type)};`);
  const actionMap = actions.map((r) => `  ${r.routeKey}: ${pascal(r.routeKey)}Action;`);
  const answerMap = actions.map((r) => `  ${r.routeKey}: ${pascal(r.routeKey)}Answer;`);

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

/** The frame answering each action when it succeeds (failures answer \`error\` frames). */
export interface ActionAnswerMap {
${answerMap.join('\n')}
}

/** API Gateway's WebSocket quotas (AWS docs, "Amazon API Gateway quotas for WebSocket APIs"). */
export const WS_LIMITS = {
  /** A frame above this closes the connection with 1009 on AWS; browsers never fragment, so it bounds a client frame. */
  frameBytes: ${WS_MAX_FRAME_BYTES},
  /** A message (all its frames) above this is refused. */
  messageBytes: ${WS_MAX_MESSAGE_BYTES},
  /** Idle timeout: a connection without traffic is closed after 10 minutes. */
  idleTimeoutMs: ${WS_IDLE_TIMEOUT_MS},
  /** Maximum connection duration: 2 hours. */
  maxConnectionMs: ${WS_MAX_CONNECTION_MS},
} as const;

/** One HTTP operation of the route table. */
export interface RouteInfo {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway path syntax: \`{param}\` segments. */
  readonly path: string;
  /** \`user\`: needs a bearer token; \`none\`: public. */
  readonly auth: 'none' | 'user';
  /** Success status. */
  readonly status: number;
  /** The body field that makes this request idempotent: the client fills it in when missing, and may then retry. */
  readonly idempotencyKey?: string;
  /** A paged route: \`next\` in the answer is passed back as one of the \`cursor\` query parameters. */
  readonly paging?: { readonly items: string; readonly next: string; readonly cursor: readonly string[] };
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

  /** The pages of a paged route, following its \`paging\` until \`next\` is null. */
  protected abstract pages(route: RouteInfo, params: Record<string, string>, query: object, options?: RequestOptions): AsyncGenerator<unknown>;

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
