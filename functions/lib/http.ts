/**
 * `httpHandler(route, fn)`: the one middy stack every HTTP route uses.
 *
 * In order: Powertools tracer (X-Ray subsegment around everything below;
 * 5xx recorded as faults) → logger context → metrics → failures
 * (`failures.ts`: every thrown error becomes problem+json), with the security
 * headers of `security-headers.ts` on every answer → header
 * normalization → the handler: the JSON body ({@link parseJsonBody}),
 * authentication (`auth.ts`) and the route's `roles`, zod validation of path,
 * query and body against the route table's schemas, then `fn`.
 *
 * `fn` receives the validated input and the caller and returns the body of
 * the route's `response.status` (typed from `response.body`), or
 * `respond(status, body, headers)` for another status the route table lists
 * in `statuses` (e.g. 200 for an idempotent repeat). Handlers never catch
 * errors themselves: they throw, and the domain's typed errors answer.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod';
import { BadRequestError, ForbiddenError, UnsupportedMediaTypeError } from '../domain/errors';
import { requireWellFormed } from '../domain/text';
import type { Principal } from '../domain/types';
import { recordCaller } from '../domain/users';
import type { HttpRoute } from '../routes';
import { authenticate, bearerToken } from './auth';
import { bannedCheck } from './ban-check';
import { answerFailures, isFault } from './failures';
import { withLogging } from './logger';
import { withMetrics } from './metrics';
import { problemResponse } from './problem';
import { withSecurityHeaders } from './security-headers';
import { annotate, withTracing } from './tracer';
import { zodIssues } from './validation';

type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;

export interface HttpRequest<R extends HttpRoute> {
  params: Infer<R['params']>;
  query: Infer<R['query']>;
  body: Infer<R['body']>;
  /** Present on every route with `auth: 'user'`. */
  principal: R['auth'] extends 'user' ? Principal : undefined;
  event: APIGatewayProxyEventV2;
  context: Context;
}

const RESPONSE: unique symbol = Symbol('respond');

/** An answer with an explicit status, made by {@link respond} (a brand, so no body is ever mistaken for one). */
export interface Responded<S extends number = number, B = unknown> {
  readonly [RESPONSE]: true;
  readonly status: S;
  readonly body: B;
  readonly headers?: Record<string, string>;
  /** `body` is base64 of binary bytes (e.g. the gzip-compressed `/docs/redoc.js`), which API Gateway decodes. */
  readonly isBase64Encoded?: boolean;
}

/**
 * Answers `status` instead of the route's `response.status`: a 2xx the route
 * table lists in `statuses` (its body is the route's `response.body`), or a
 * status listed with a `body` of its own. Errors are thrown, not responded.
 */
export function respond<S extends number, B = undefined>(status: S, body?: B, headers?: Record<string, string>, options: { isBase64Encoded?: boolean } = {}): Responded<S, B> {
  return { [RESPONSE]: true, status, body: body as B, ...(headers ? { headers } : {}), ...(options.isBase64Encoded ? { isBase64Encoded: true } : {}) };
}

const isResponded = (value: unknown): value is Responded => typeof value === 'object' && value !== null && (value as Responded)[RESPONSE] === true;

/** The body of the route's own success status. */
export type SuccessBody<R extends HttpRoute> = Infer<R['response']['body']>;
type StatusTable<R extends HttpRoute> = R extends { readonly statuses: infer S } ? S : Record<never, never>;
type IsSuccess<S extends number> = `${S}` extends `2${string}` ? true : false;
/** The body `respond(S, …)` carries on route `R` (`never`: `R` does not answer `S` that way). */
type RespondBody<R extends HttpRoute, S extends number> = S extends R['response']['status']
  ? SuccessBody<R>
  : S extends keyof StatusTable<R>
    ? StatusTable<R>[S] extends { readonly body: infer B }
      ? Infer<B>
      : IsSuccess<S> extends true
        ? SuccessBody<R>
        : never
    : never;
type Statuses<R extends HttpRoute> = R['response']['status'] | Extract<keyof StatusTable<R>, number>;

/** What a handler of route `R` returns: its success body, or `respond()` with a status the route table lists for it. */
export type HttpResult<R extends HttpRoute> =
  | (SuccessBody<R> extends undefined ? void : SuccessBody<R>)
  | { [S in Statuses<R>]: [RespondBody<R, S>] extends [never] ? never : Responded<S, RespondBody<R, S>> }[Statuses<R>];

/** `application/json`, `application/json;`, `application/json; charset=utf-8`, `application/problem+json`… (RFC 6839 suffixes). */
const JSON_CONTENT_TYPE = /^application\/(?:[\w.+-]+\+)?json[\t ]*(?:;|$)/i;

class PrototypeKey extends Error {}
/** Refuses `__proto__` keys anywhere: code that copied such an object by assignment would change its prototype. */
const refusePrototypeKeys = (key: string, value: unknown) => {
  if (key === '__proto__') throw new PrototypeKey();
  return value;
};

/**
 * The request body as JSON, undefined when there is none. API Gateway's
 * payload 2.0 `body` is text, base64 when `isBase64Encoded`.
 *
 * Errors: 415 for a content type that is not JSON, 400 for text that is not
 * JSON or has a `__proto__` key (prototype-safe: nothing downstream can be
 * tricked into setting a prototype).
 */
export function parseJsonBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded' | 'headers'>): unknown {
  if (event.body === undefined || event.body === '') return undefined;
  if (!JSON_CONTENT_TYPE.test(event.headers?.['content-type'] ?? '')) throw new UnsupportedMediaTypeError();
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text, refusePrototypeKeys);
  } catch (error) {
    throw new BadRequestError(error instanceof PrototypeKey ? 'The body must not contain "__proto__" keys.' : 'The body is not valid JSON.');
  }
}

/** JSON unless the content type says otherwise (e.g. the `/docs` page, sent as is). */
function reply(status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json', isBase64Encoded = false): APIGatewayProxyStructuredResultV2 {
  if (body === undefined) return { statusCode: status, headers, body: '' };
  const type = headers['content-type'] ?? contentType;
  const raw = typeof body === 'string' && !type.includes('json');
  const result: APIGatewayProxyStructuredResultV2 = { statusCode: status, headers: { ...headers, 'content-type': type }, body: raw ? body : JSON.stringify(body) };
  if (raw && isBase64Encoded) result.isBase64Encoded = true;
  return result;
}

function validate<T>(schema: z.ZodType | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  // Lone surrogates are refused in path, query and body alike, before any schema (issue 13 item 14).
  requireWellFormed(value, where);
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new BadRequestError(`Invalid ${where}.`, { errors: zodIssues(parsed.error, where) });
  return parsed.data as T;
}

export function httpHandler<R extends HttpRoute>(route: R, fn: (request: HttpRequest<R>) => Promise<HttpResult<R>>) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(withTracing(isFault))
    .use(withLogging())
    .use(withMetrics())
    // Outside answerFailures: problem answers get the headers too (onError runs inside out).
    .use(withSecurityHeaders(route.auth === 'user'))
    .use(answerFailures((error, event: APIGatewayProxyEventV2) => problemResponse(error, event.rawPath)))
    .use(httpHeaderNormalizer())
    .handler(async (event, context) => {
      annotate({ route: route.name, routeKey: event.routeKey });
      // Parsed before authentication, so a malformed body answers 400 whoever sends it; a route without a body ignores one.
      const json = route.body ? parseJsonBody(event) : undefined;
      let principal: Principal | undefined;
      if (route.auth === 'user') {
        principal = await authenticate(bearerToken(event.headers?.authorization));
        if (route.roles && !route.roles.some((r) => principal!.roles.includes(r))) {
          throw new ForbiddenError(`This route requires the ${route.roles.join(' or ')} role.`);
        }
        // Imported here, not at the top: a function with only public routes (the API documents) then never
        // loads the repository and the DynamoDB client (lib/bundling.ts splits dynamic imports into chunks).
        const { domainContext } = await import('./runtime');
        const ctx = domainContext();
        // SPEC §9: a banned caller gets 403 `banned` on every route; the check rides on the directory write's round trip.
        [principal] = await Promise.all([recordCaller(ctx, principal, { allowErased: route.allowErased === true }), bannedCheck(ctx, principal.userId)]);
      }
      const request = {
        params: validate(route.params, event.pathParameters ?? {}, 'path'),
        query: validate(route.query, event.queryStringParameters ?? {}, 'query'),
        body: validate(route.body, json ?? {}, 'body'),
        principal,
        event,
        context,
      } as HttpRequest<R>;
      // A validated path id only: query strings and bodies may carry user text.
      annotate({ chatId: (request.params as { chatId?: string } | undefined)?.chatId });
      const result: unknown = await fn(request);
      if (isResponded(result)) return reply(result.status, result.body, result.headers, route.response.contentType, result.isBase64Encoded);
      return reply(route.response.status, result, {}, route.response.contentType);
    });
}
