/**
 * The middy stacks for WebSocket routes (SPEC §6), with the same tracer,
 * logger, metrics and failure reporter (`failures.ts`) as HTTP.
 *
 * - `wsConnectHandler(fn)`: `$connect`. Verifies `?token=` with the same
 *   `authenticate` as HTTP; a failure refuses the upgrade with its status
 *   (401 for a bad token) and an `application/problem+json` body.
 * - `wsHandler(route, fn)`: the action routes and `$default`. Resolves the
 *   caller from the connection record, validates the frame with the route
 *   table's schema and hands `fn` the frame without `action` and
 *   `requestId`; answers the route's `answer` frame
 *   (`{type:"ack", requestId, ...result}`, or `pong`) or, for anything thrown,
 *   `{type:"error", requestId, code, detail, message}`, as the route
 *   response. The connection stays open, unless it outlived the token it
 *   was opened with (SPEC §6): then the `unauthorized` error frame is posted
 *   through `@connections` and the connection closed (`expireConnection`).
 */
import { requireWellFormed } from '../domain/text';
import middy from '@middy/core';
import type { APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import type * as z from 'zod';
import { ConnectionExpiredError, expireConnection, frameCaller } from '../domain/connections';
import { BadRequestError } from '../domain/errors';
import type { Principal } from '../domain/types';
import { recordCaller } from '../domain/users';
import type { WsRoute } from '../routes';
import { authenticate } from './auth';
import { answerFailures, isFault } from './failures';
import { withLogging } from './logger';
import { withMetrics } from './metrics';
import { errorFrameBody, parseFrame, problemResponse, requestIdOf } from './problem';
import { annotate, withTracing } from './tracer';
import { zodIssues } from './validation';

/** `$connect` events carry the upgrade request's query string and headers. */
export type WsConnectEvent = APIGatewayProxyWebsocketEventV2 & {
  queryStringParameters?: Record<string, string | undefined>;
  headers?: Record<string, string | undefined>;
};

export interface WsResult {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}

type Frame<R extends WsRoute> = R['frame'] extends z.ZodType ? z.infer<R['frame']> : Record<string, unknown>;

export interface WsRequest<R extends WsRoute> {
  /** The validated frame without `action` and `requestId` (the stack echoes the `requestId`); `$default` gets the JSON object as sent. */
  frame: R['frame'] extends z.ZodType ? Omit<Frame<R>, 'action' | 'requestId'> : Frame<R>;
  /** The connection's user (actions only: `$default` reads no connection record). */
  principal: R['frame'] extends z.ZodType ? Principal : undefined;
  connectionId: string;
  event: APIGatewayProxyWebsocketEventV2;
  context: Context;
}

type AnswerFields<R extends WsRoute> = R['answer'] extends z.ZodType ? Omit<z.infer<R['answer']>, 'type' | 'requestId'> : never;
/** What an action's handler returns: the members of its `answer` frame (nothing when it has none but `type` and `requestId`). */
export type WsAnswer<R extends WsRoute> = [AnswerFields<R>] extends [never] ? never : keyof AnswerFields<R> extends never ? void | AnswerFields<R> : AnswerFields<R>;

const sent = (body: object): WsResult => ({ statusCode: 200, body: JSON.stringify(body) });

/**
 * The `error` frame answering a failed frame, with the frame's `requestId`
 * when it can be read. A frame from an expired connection (SPEC §6) is
 * answered through `@connections` before the connection is closed, since a
 * route response would arrive after the close.
 */
const errorAnswer = answerFailures<APIGatewayProxyWebsocketEventV2, WsResult>(async (error, event) => {
  const body = errorFrameBody(requestIdOf(parseFrame(event.body)), error);
  if (!(error instanceof ConnectionExpiredError)) return sent(body);
  const { domainContext } = await import('./runtime');
  await expireConnection(domainContext(), event.requestContext.connectionId, JSON.stringify(body));
  return { statusCode: 200 };
});

export function wsConnectHandler(fn: (principal: Principal, event: WsConnectEvent) => Promise<void>) {
  return middy<WsConnectEvent, WsResult>()
    .use(withTracing(isFault))
    .use(withLogging())
    .use(withMetrics())
    .use(answerFailures<WsConnectEvent, WsResult>((error) => problemResponse(error) as WsResult))
    .handler(async (event) => {
      annotate({ routeKey: event.requestContext.routeKey });
      const token = await authenticate(event.queryStringParameters?.token);
      const { domainContext } = await import('./runtime');
      // The directory's name (issue 19) is what the connection record keeps for the frames that follow.
      const principal = await recordCaller(domainContext(), token);
      await fn(principal, event);
      return { statusCode: 200 };
    });
}

/**
 * Callers of this container's recent connections. A connection's user never
 * changes and API Gateway forwards frames only from open connections, so the
 * record is read once per connection and container instead of per frame.
 * Entries are never invalidated: `$disconnect` runs in another function (and
 * container), and connection ids are never reused. The cached caller keeps
 * the connection's expiry (its token's `exp`), so a frame after it is
 * refused and the connection closed (SPEC §6) without another read.
 */
const callers = new Map<string, Principal>();
const MAX_CACHED_CALLERS = 5000;

async function callerOf(connectionId: string): Promise<Principal> {
  const cached = callers.get(connectionId);
  if (cached && (cached.tokenExpiresAt ?? 0) > Date.now() / 1000) return cached;
  callers.delete(connectionId);
  // Imported here, not at the top: a function loads the repository and the DynamoDB client on its first
  // frame, not at init (lib/bundling.ts splits dynamic imports into chunks).
  const { domainContext } = await import('./runtime');
  const principal = await frameCaller(domainContext(), connectionId);
  if (callers.size >= MAX_CACHED_CALLERS) callers.delete(callers.keys().next().value!);
  callers.set(connectionId, principal);
  return principal;
}

export function wsHandler<R extends WsRoute>(route: R, fn: (request: WsRequest<R>) => Promise<WsAnswer<R>>) {
  const answerType = route.answer?.shape.type.value;
  return middy<APIGatewayProxyWebsocketEventV2, WsResult>()
    .use(withTracing(isFault))
    .use(withLogging())
    .use(withMetrics())
    .use(errorAnswer)
    .handler(async (event, context) => {
      annotate({ route: route.name, routeKey: event.requestContext.routeKey });
      const connectionId = event.requestContext.connectionId;
      // Every frame, `$default`'s too, first proves its connection still lives (SPEC §6: not past its token).
      const caller = await callerOf(connectionId);
      const raw = parseFrame(event.body);
      if (!raw) throw new BadRequestError('Frames must be JSON objects with an "action".');
      // As on HTTP: no lone surrogates anywhere in a frame (issue 13 item 14).
      requireWellFormed(raw, 'frame');
      let frame: Record<string, unknown> = raw;
      let principal: Principal | undefined;
      if (route.frame) {
        principal = caller;
        const parsed = route.frame.safeParse(raw);
        if (!parsed.success) throw new BadRequestError(`Invalid ${route.routeKey} frame.`, { errors: zodIssues(parsed.error, 'frame') });
        const { action: _action, requestId: _requestId, ...rest } = parsed.data as Record<string, unknown>;
        frame = rest;
        // Only a chat id the route's schema validated; `to` (a user id) and content are never annotated.
        annotate({ chatId: typeof frame.chatId === 'string' ? frame.chatId : undefined });
      }
      const result = await fn({ frame, principal, connectionId, event, context } as WsRequest<R>);
      if (!answerType) return { statusCode: 200 };
      return sent({ type: answerType, requestId: requestIdOf(raw), ...(result ?? {}) });
    });
}
