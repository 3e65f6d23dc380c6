/**
 * The middy stacks for WebSocket routes (SPEC §6).
 *
 * - `wsConnectHandler`: verifies `?token=` with the same `authenticate` as
 *   HTTP; a bad token answers 401, which makes API Gateway refuse the upgrade.
 * - `wsHandler(route, fn)`: for action routes. Resolves the caller from the
 *   connection record, validates the frame with the route table's schema and
 *   answers `{type:"ack", requestId, ...result}` or
 *   `{type:"error", requestId, code, message}` as the route response. It
 *   never throws, so the connection always stays open.
 */
import middy from '@middy/core';
import type { APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import type * as z from 'zod';
import type { Principal } from '../domain/types';
import type { WsRoute } from '../routes';
import { authenticate } from './auth';
import { BadRequestError, UnauthorizedError } from './errors';
import { logger, withLogging } from './logger';
import { count, withMetrics } from './metrics';
import { problemBody, toAppError } from './problem';
import { addErrorAsMetadata, annotate, withTracing } from './tracer';
import { zodIssues } from './validation';

/** `$connect` events carry the upgrade request's query string and headers. */
export type WsConnectEvent = APIGatewayProxyWebsocketEventV2 & {
  queryStringParameters?: Record<string, string | undefined>;
  headers?: Record<string, string | undefined>;
};

export interface WsResult {
  statusCode: number;
  body?: string;
}

type RequestId = string | number | undefined;

export interface WsRequest<R extends WsRoute> {
  frame: R['frame'] extends z.ZodType ? z.infer<R['frame']> : unknown;
  principal: Principal;
  connectionId: string;
  event: APIGatewayProxyWebsocketEventV2;
  context: Context;
}

const frame = (body: Record<string, unknown>): WsResult => ({ statusCode: 200, body: JSON.stringify(body) });

export function errorFrame(requestId: RequestId, error: unknown): WsResult {
  const e = toAppError(error);
  if (e.status >= 500) {
    logger.error('websocket action failed', { error: error as Error });
    // Answered as a frame, so it never reaches the tracer middleware's onError: record the fault here.
    addErrorAsMetadata(error as Error);
  }
  if (e.code === 'rate_limited') count('RateLimited');
  return frame({ type: 'error', requestId, code: e.code, message: e.message, ...(e.extensions ?? {}) });
}

/** The frame as a JSON object, or undefined when it is not one. */
export function parseFrame(body: string | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body ?? '');
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const requestIdOf = (value: Record<string, unknown> | undefined): RequestId => {
  const id = value?.requestId;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
};

export function wsConnectHandler(fn: (principal: Principal, event: WsConnectEvent) => Promise<void>) {
  return middy<WsConnectEvent, WsResult>()
    .use(withTracing())
    .use(withLogging())
    .use(withMetrics())
    .handler(async (event) => {
      annotate({ routeKey: event.requestContext.routeKey });
      try {
        const principal = await authenticate(event.queryStringParameters?.token);
        const { domainContext } = await import('./runtime');
        await domainContext().repo.users.touch(principal, new Date().toISOString());
        await fn(principal, event);
        return { statusCode: 200 };
      } catch (error) {
        const e = toAppError(error);
        if (e.status >= 500) {
          logger.error('connect failed', { error: error as Error });
          addErrorAsMetadata(error as Error);
        }
        return { statusCode: e.status, body: JSON.stringify(problemBody(e)) };
      }
    });
}

/**
 * Callers of this container's recent connections. A connection's user never
 * changes and API Gateway forwards frames only from open connections, so the
 * record is read once per connection and container instead of per frame.
 */
const callers = new Map<string, Principal>();
const MAX_CACHED_CALLERS = 5000;

async function callerOf(connectionId: string): Promise<Principal> {
  const cached = callers.get(connectionId);
  if (cached) return cached;
  // Imported here, not at the top: `$default` uses only the frame helpers of this module and never loads the
  // repository and the DynamoDB client (lib/bundling.ts splits dynamic imports into chunks).
  const { domainContext } = await import('./runtime');
  const connection = await domainContext().repo.connections.get(connectionId);
  if (!connection) throw new UnauthorizedError('This connection is not registered; reconnect.');
  const principal: Principal = { userId: connection.userId, name: connection.name, roles: connection.roles };
  if (callers.size >= MAX_CACHED_CALLERS) callers.delete(callers.keys().next().value!);
  callers.set(connectionId, principal);
  return principal;
}

/** Forgets a cached caller (on `$disconnect`). */
export function forgetCaller(connectionId: string): void {
  callers.delete(connectionId);
}

export function wsHandler<R extends WsRoute>(route: R, fn: (request: WsRequest<R>) => Promise<Record<string, unknown> | void>) {
  return middy<APIGatewayProxyWebsocketEventV2, WsResult>()
    .use(withTracing())
    .use(withLogging())
    .use(withMetrics())
    .handler(async (event, context) => {
      annotate({ route: route.name, routeKey: event.requestContext.routeKey });
      const raw = parseFrame(event.body);
      const requestId = requestIdOf(raw);
      try {
        if (!raw) throw new BadRequestError('Frames must be JSON objects with an "action".');
        const connectionId = event.requestContext.connectionId;
        const principal = await callerOf(connectionId);
        let parsed: unknown = raw;
        if (route.frame) {
          const result = route.frame.safeParse(raw);
          if (!result.success) throw new BadRequestError(`Invalid ${route.routeKey} frame.`, { errors: zodIssues(result.error, 'frame') });
          parsed = result.data;
        }
        // Only a chat id the route's schema validated; `to` (a user id) and content are never annotated.
        const chatId = route.frame ? (parsed as { chatId?: unknown }).chatId : undefined;
        annotate({ chatId: typeof chatId === 'string' ? chatId : undefined });
        const result = await fn({ frame: parsed as WsRequest<R>['frame'], principal, connectionId, event, context });
        return frame({ type: 'ack', requestId, ...(result ?? {}) });
      } catch (error) {
        return errorFrame(requestId, error);
      }
    });
}
