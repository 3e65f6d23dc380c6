/**
 * The contract, checked from the client's side: every HTTP answer and every
 * WebSocket frame the end-to-end tests get is checked against the route
 * table (`functions/routes.ts`, every status of `httpResponses()` and every
 * answer of `wsAnswers()` in `functions/contract.ts`) and the zod schemas,
 * which are what `/openapi.json` and `/asyncapi.json` document. A status the
 * table does not list for the route, a field of the wrong type, a field the
 * schema does not have, a problem that is not `application/problem+json`:
 * each is a violation naming the route and the field, e.g.
 * `GET /v1/chats/{chatId} (GetChat) answered 200: body.chat.lastSeq: Invalid input: expected number, received string`.
 *
 * The shared helpers apply it, so every end-to-end test gets it:
 * `call()` and `TestUser.get/post/…` (`api.ts`) throw a {@link ContractViolation};
 * the raw WebSocket client (`ws-client.ts`) and the SDK path of `TestUser.api`
 * and `TestUser.socket()` ({@link contractFetch}, {@link ContractWebSocket})
 * record violations, and the test that received them fails when it ends.
 *
 * Only the run's local stack (`inject('stack')`) is checked: the gateway's
 * own tests (`test/local`) serve routes of their own.
 */
import { afterAll, afterEach, inject } from 'vitest';
import WebSocket from 'ws';
import type * as z from 'zod';
import { httpResponses, wsAnswers, type AnswerBody } from '../../functions/contract';
import { zodIssues } from '../../functions/lib/validation';
import { httpRoutes, pathPattern, wsRoutes, type HttpRoute, type WsRoute } from '../../functions/routes';
import { ApiGatewayError, ApiGatewayFrame, Problem, ServerEvents } from '../../functions/schemas';

export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
}

// ------------------------------------------------------------------ shared checks

/** The first field of `value` that `schema` does not know (zod drops unknown keys, so it is in the input, not the output). */
function undocumentedField(input: unknown, output: unknown, path: string): string | undefined {
  if (Array.isArray(input) && Array.isArray(output)) {
    for (let i = 0; i < input.length; i++) {
      const found = undocumentedField(input[i], output[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (!input || typeof input !== 'object' || !output || typeof output !== 'object') return undefined;
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(output, key)) return `${path}.${key}`;
    const found = undocumentedField((input as Record<string, unknown>)[key], (output as Record<string, unknown>)[key], `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}

/** Why `value` is not what `schema` documents (wrong or missing fields, or one it does not have), or undefined. */
function schemaViolation(schema: z.ZodType, value: unknown, where: string): string | undefined {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    return zodIssues(parsed.error, where)
      .map((issue) => `${issue.path}: ${issue.message}`)
      .join('; ');
  }
  const extra = undocumentedField(value, parsed.data, where);
  return extra ? `${extra} is not in the documented schema` : undefined;
}

const short = (value: unknown) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? 'nothing' : text.length > 300 ? `${text.slice(0, 300)}…` : text;
};

// ------------------------------------------------------------------ HTTP

/** One HTTP exchange as a test saw it; `body` is the parsed JSON, else the text (undefined when empty). */
export interface HttpExchange {
  method: string;
  /** Path and query, e.g. `/v1/chats?limit=5`. */
  path: string;
  status: number;
  headers: Headers;
  body: unknown;
}

/** The route-table route that serves `method path`: literal segments win over `{param}` ones, as in API Gateway. */
export function routeOf(method: string, path: string): HttpRoute | undefined {
  const rawPath = path.split('?')[0]!;
  const candidates = (httpRoutes as readonly HttpRoute[]).filter((route) => route.method === method.toUpperCase() && pathPattern(route.path).test(rawPath));
  return candidates.sort((a, b) => a.path.split('{').length - b.path.split('{').length)[0];
}

const mediaType = (headers: Headers) => (headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();

function bodyViolation(body: AnswerBody, x: HttpExchange): string | undefined {
  const type = mediaType(x.headers);
  if (body.kind === 'json') {
    const expected = body.contentType.split(';')[0]!;
    if (type !== expected) return `content-type is ${type || 'missing'}, not ${expected}`;
    return schemaViolation(body.schema, x.body, 'body');
  }
  if (body.kind === 'gateway') {
    if (type !== 'application/json') return `content-type is ${type || 'missing'}, not application/json (API Gateway's {message})`;
    return schemaViolation(ApiGatewayError, x.body, 'body');
  }
  if (type !== 'application/problem+json') return `content-type is ${type || 'missing'}, not application/problem+json`;
  const problem = schemaViolation(Problem, x.body, 'body');
  if (problem) return problem;
  const p = x.body as z.infer<typeof Problem>;
  if (p.status !== x.status) return `body.status is ${p.status}, not the HTTP status`;
  if (p.type !== `urn:problem:chat:${p.code}`) return `body.type is ${p.type}, not urn:problem:chat:${p.code}`;
  if (p.retryAfter !== undefined && x.headers.get('retry-after') !== String(p.retryAfter)) return `body.retryAfter is ${p.retryAfter} but Retry-After is ${x.headers.get('retry-after')}`;
  if (x.status === 401 && !x.headers.get('www-authenticate')) return 'a 401 without WWW-Authenticate';
  return undefined;
}

/** The contract violation of one HTTP answer of the local stack, or undefined when it keeps the contract. */
export function checkHttp(x: HttpExchange): string | undefined {
  const route = routeOf(x.method, x.path);
  if (!route) {
    // Local-only `/dev/*` routes, the web client's assets and CORS preflights are not part of the API.
    if (x.status !== 404) return undefined;
    const violation = bodyViolation({ kind: 'gateway' }, x);
    return violation ? `${x.method} ${x.path} (no route) answered 404: ${violation}` : undefined;
  }
  const label = `${route.method} ${route.path} (${route.name}) answered ${x.status}`;
  // Answered by the HTTP server before any routing (request line or headers over its limits).
  if (x.status === 414 || x.status === 431) return undefined;
  const answer = httpResponses(route).get(x.status);
  if (!answer) return `${label}, a status the route table does not list for it (it lists ${[...httpResponses(route).keys()].join(', ')}): ${short(x.body)}`;
  if (answer.bodies.length === 0) return x.body === undefined || x.body === '' ? undefined : `${label} with a body, where it documents none: ${short(x.body)}`;
  const violations = answer.bodies.map((body) => bodyViolation(body, x));
  if (violations.some((v) => v === undefined)) return undefined;
  // Report the alternative the answer meant to be: a problem by its media type, API Gateway's by its `message`.
  const meant = mediaType(x.headers) === 'application/problem+json' ? 'problem' : typeof (x.body as { message?: unknown } | undefined)?.message === 'string' ? 'gateway' : 'json';
  const index = answer.bodies.findIndex((b) => b.kind === meant);
  return `${label}: ${violations[Math.max(index, 0)]}`;
}

// ------------------------------------------------------------------ WebSocket

/** Checks the frames of one connection: answers against the action that was sent, events against `ServerEvents`. */
export interface WsContract {
  /** Records a frame the client sends (an object, or the text or bytes as sent). */
  sent(frame: unknown): void;
  /** The violation of a received frame (parsed JSON, else the text), or undefined. */
  received(frame: unknown): string | undefined;
}

const ACTIONS = new Map((wsRoutes as readonly WsRoute[]).map((route) => [route.routeKey, route]));

function routeOfFrame(frame: unknown): { route: WsRoute; requestId?: string | number } {
  let value = frame;
  if (typeof frame === 'string') {
    try {
      value = JSON.parse(frame);
    } catch {
      value = undefined;
    }
  }
  const object = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  const action = typeof object?.action === 'string' ? object.action : undefined;
  const route = (action && !action.startsWith('$') ? ACTIONS.get(action) : undefined) ?? ACTIONS.get('$default')!;
  const id = object?.requestId;
  return { route, requestId: typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : undefined };
}

export function wsContract(): WsContract {
  /** Routes of the frames sent and not answered yet, by `requestId` (a queue: a client may repeat an id). */
  const awaiting = new Map<string | number, WsRoute[]>();
  /** Routes of frames sent without a `requestId`, not answered yet. */
  const anonymous: WsRoute[] = [];

  function answerViolation(frame: Record<string, unknown>): string | undefined {
    const type = frame.type as string;
    const requestId = frame.requestId as string | number | undefined;
    let route: WsRoute | undefined;
    if (requestId !== undefined) {
      const queue = awaiting.get(requestId);
      route = queue?.shift();
      if (queue && queue.length === 0) awaiting.delete(requestId);
      if (!route) return `WebSocket ${type} for requestId ${JSON.stringify(requestId)}, which no frame sent on this connection carries: ${short(frame)}`;
    } else {
      const index = anonymous.findIndex((candidate) => wsAnswers(candidate).some((a) => a.type === type));
      if (index < 0) return `WebSocket ${type} without a requestId, answering no frame sent without one: ${short(frame)}`;
      route = anonymous.splice(index, 1)[0]!;
    }
    const answer = wsAnswers(route).find((a) => a.type === type);
    const label = `WebSocket ${route.routeKey} (${route.name}) answered ${type}`;
    if (!answer) return `${label}, which it does not answer (it answers ${wsAnswers(route).map((a) => a.type).join(', ')}): ${short(frame)}`;
    const violation = schemaViolation(answer.schema, frame, 'frame');
    return violation ? `${label}: ${violation}` : undefined;
  }

  return {
    sent(frame) {
      const { route, requestId } = routeOfFrame(Buffer.isBuffer(frame) ? undefined : frame);
      if (requestId === undefined) anonymous.push(route);
      else awaiting.set(requestId, [...(awaiting.get(requestId) ?? []), route]);
    },
    received(frame) {
      if (!frame || typeof frame !== 'object' || Array.isArray(frame)) return `WebSocket frame that is not a JSON object: ${short(frame)}`;
      const object = frame as Record<string, unknown>;
      if (object.type === undefined) {
        // API Gateway's own frame when a function failed or timed out.
        const violation = schemaViolation(ApiGatewayFrame, object, 'frame');
        return violation ? `WebSocket frame without a type that is not API Gateway's: ${violation}` : undefined;
      }
      if (object.type === 'ack' || object.type === 'pong' || object.type === 'error') return answerViolation(object);
      const schema = ServerEvents[object.type as keyof typeof ServerEvents] as z.ZodType | undefined;
      if (!schema) return `WebSocket event ${short(object.type)}, a type ServerEvents does not document: ${short(frame)}`;
      const violation = schemaViolation(schema, object, 'frame');
      return violation ? `WebSocket event ${String(object.type)}: ${violation}` : undefined;
    },
  };
}

// ------------------------------------------------------------------ wiring into the helpers

const recorded: string[] = [];

/** Records a violation seen outside the test's own flow (a frame, a response read by the SDK); the test fails when it ends. */
export function recordViolation(violation: string | undefined): void {
  if (violation) recorded.push(violation);
}

function failOnRecorded() {
  if (recorded.length === 0) return;
  const all = recorded.splice(0);
  throw new ContractViolation(`${all.length} answer(s) broke the contract:\n${all.join('\n')}`);
}
afterEach(failOnRecorded);
afterAll(failOnRecorded);

/** Whether `url` belongs to the run's local stack, whose answers are checked. */
export function underContract(url: string): boolean {
  const stack = inject('stack') as { baseUrl: string; wsUrl: string } | undefined;
  return stack !== undefined && (url.startsWith(stack.wsUrl) || url.startsWith(`${stack.baseUrl}/`));
}

/** The body of a `fetch` answer as {@link HttpExchange} wants it. */
export function parsedBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A `fetch` for the SDK that records the contract violation of every answer from the stack (S3 and other hosts pass unchecked). */
export function contractFetch(baseFetch: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (underContract(url.href)) {
      const body = parsedBody(await response.clone().text());
      const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
      recordViolation(checkHttp({ method, path: `${url.pathname}${url.search}`, status: response.status, headers: response.headers, body }));
    }
    return response;
  };
}

/** The `ws` WebSocket, recording the contract violation of every frame it receives (for `ChatSocket`'s `WebSocket` option). */
export class ContractWebSocket extends WebSocket {
  private readonly contract = wsContract();

  constructor(url: string) {
    super(url);
    if (!underContract(url)) return;
    this.on('message', (data, isBinary) => {
      if (!isBinary) recordViolation(this.contract.received(parsedBody(data.toString())));
    });
  }

  override send(data: any, options?: any, cb?: any): void {
    this.contract.sent(typeof data === 'string' ? data : undefined);
    super.send(data, options, cb);
  }
}
