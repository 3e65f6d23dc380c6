/**
 * `httpHandler(route, fn)`: the one middy stack every HTTP route uses.
 *
 * In order: Powertools tracer (X-Ray subsegment around everything below) →
 * logger context → metrics → problem+json errors (so it catches everything
 * after it) → JSON body parsing (@middy/http-json-body-parser)
 * → authentication (`auth.ts`) and the route's `roles` → zod validation of
 * path, query and body against the route table's schemas → `fn`.
 *
 * `fn` receives the validated input and the caller and returns the response
 * body (or `{status, body}`); the route table's `response.status` is the
 * default status. Handlers never catch errors themselves.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod';
import type { Principal } from '../domain/types';
import type { HttpRoute } from '../routes';
import { authenticate, bearerToken } from './auth';
import { AppError, BadRequestError, ForbiddenError } from './errors';
import { logger, withLogging } from './logger';
import { count, withMetrics } from './metrics';
import { problemResponse, toAppError } from './problem';
import { domainContext } from './runtime';
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

/**
 * What a handler returns: a body for the route's default status, or an
 * explicit status. `isBase64Encoded`: `body` is base64 of binary bytes
 * (e.g. the gzip-compressed `/docs/redoc.js`), decoded by API Gateway.
 */
export type HttpResult = { status: number; body?: unknown; headers?: Record<string, string>; isBase64Encoded?: boolean } | Record<string, unknown>;

/** JSON by default; a string body with an explicit non-JSON content type (e.g. the `/docs` page) is sent as is. */
const reply = (status: number, body: unknown, headers: Record<string, string> = {}, isBase64Encoded = false): APIGatewayProxyStructuredResultV2 => {
  if (body === undefined) return { statusCode: status, headers, body: '' };
  const raw = typeof body === 'string' && headers['content-type'] !== undefined && !headers['content-type'].includes('json');
  const result: APIGatewayProxyStructuredResultV2 = { statusCode: status, headers: { 'content-type': 'application/json', ...headers }, body: raw ? body : JSON.stringify(body) };
  if (raw && isBase64Encoded) result.isBase64Encoded = true;
  return result;
};

const isExplicit = (r: HttpResult): r is { status: number; body?: unknown; headers?: Record<string, string>; isBase64Encoded?: boolean } =>
  typeof (r as { status?: unknown }).status === 'number' && Object.keys(r).every((k) => k === 'status' || k === 'body' || k === 'headers' || k === 'isBase64Encoded');

/** Turns every thrown error into problem+json; 5xx bodies stay generic. */
const problemJson = (): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> => ({
  onError: async (request) => {
    const error = toAppError(request.error);
    if (error.status >= 500) logger.error('request failed', { error: request.error as Error });
    if (error.code === 'rate_limited') count('RateLimited');
    request.response = problemResponse(error, request.event.rawPath);
  },
});

/**
 * Parses JSON only when there is a body, so routes whose body is optional
 * (e.g. `POST .../read`) accept an empty request; maps the parser's errors to
 * SPEC codes.
 */
const jsonBody = (): MiddlewareObj<APIGatewayProxyEventV2> => {
  const parser = httpJsonBodyParser();
  return {
    before: async (request) => {
      if (request.event.body === undefined || request.event.body === '') return;
      try {
        await parser.before!(request as never);
      } catch (error) {
        const contentType = request.event.headers?.['content-type'] ?? '';
        if (!/^application\/(.+\+)?json($|;)/.test(contentType)) {
          throw new AppError(415, 'bad_request', 'Send the body as application/json.');
        }
        throw new BadRequestError('The body is not valid JSON.');
      }
    },
  };
};

function validate<T>(schema: z.ZodType | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new BadRequestError(`Invalid ${where}.`, { errors: zodIssues(parsed.error, where) });
  return parsed.data as T;
}

export function httpHandler<R extends HttpRoute>(route: R, fn: (request: HttpRequest<R>) => Promise<HttpResult>) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(withTracing((error) => toAppError(error).status >= 500))
    .use(withLogging())
    .use(withMetrics())
    .use(httpHeaderNormalizer())
    .use(problemJson())
    .use(jsonBody())
    .handler(async (event, context) => {
      annotate({ route: route.name, routeKey: event.routeKey });
      let principal: Principal | undefined;
      if (route.auth === 'user') {
        principal = await authenticate(bearerToken(event.headers?.authorization));
        if (route.roles && !route.roles.some((r) => principal!.roles.includes(r))) {
          throw new ForbiddenError(`This route requires the ${route.roles.join(' or ')} role.`);
        }
        await domainContext().repo.users.touch(principal, new Date().toISOString());
      }
      const request = {
        params: validate(route.params, event.pathParameters ?? {}, 'path'),
        query: validate(route.query, event.queryStringParameters ?? {}, 'query'),
        body: validate(route.body, event.body === undefined || event.body === '' ? {} : event.body, 'body'),
        principal,
        event,
        context,
      } as HttpRequest<R>;
      // A validated path id only: query strings and bodies may carry user text.
      annotate({ chatId: (request.params as { chatId?: string } | undefined)?.chatId });
      const result = await fn(request);
      if (isExplicit(result)) return reply(result.status, result.body, result.headers, result.isBase64Encoded);
      return reply(route.response.status, result);
    });
}
