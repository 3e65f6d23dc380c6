/**
 * API Gateway events as the deployed functions receive them, built by the
 * same code as the local gateway's (`local/gateway/events.ts`), and a
 * Lambda context. Only the bench's stand-ins for a real request live here:
 * its domain, account, user agent and client address.
 */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import {
  apiId,
  httpEvent as apiGatewayHttpEvent,
  wsConnectEvent,
  wsDisconnectEvent,
  wsMessageEvent,
  type Forwarded,
  type WebSocketEvent,
  type WsApi,
  type WsConnection,
} from '../local/gateway/events';
import { lambdaContext as localLambdaContext } from '../local/gateway/lambda-host';

const ACCOUNT_ID = '000000000000';
const DOMAIN = 'bench.execute-api.us-east-1.amazonaws.com';
const USER_AGENT = 'chat-bench';
const SOURCE_IP = '127.0.0.1';
/** What a deployed API reports: HTTPS on 443. */
const FORWARDED: Forwarded = { port: 443, proto: 'https' };
const WS_API: WsApi = { apiId: 'bench', stage: 'prod' };

/** A Lambda context as the deployed functions get one (256 MB, 30 s), from the same builder as the local gateway's. */
export function lambdaContext(functionName: string): Context {
  return localLambdaContext({ functionName, timeoutMs: 30_000, region: 'us-east-1', memoryMb: 256 });
}

export interface HttpCall {
  method: string;
  /** Route path with `{param}` segments, e.g. `/v1/chats/{chatId}/messages`. */
  path: string;
  token?: string;
  params?: Record<string, string>;
  query?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
}

/** The HTTP API event of `call`, as a client with a JSON body and a bearer token would cause it. */
export function httpEvent(call: HttpCall): APIGatewayProxyEventV2 {
  const rawPath = call.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(call.params?.[name] ?? ''));
  const rawHeaders = ['accept', 'application/json', 'host', DOMAIN, 'user-agent', USER_AGENT];
  if (call.token) rawHeaders.push('authorization', `Bearer ${call.token}`);
  const body = call.body === undefined ? undefined : JSON.stringify(call.body);
  if (body !== undefined) rawHeaders.push('content-type', 'application/json', 'content-length', String(Buffer.byteLength(body)));
  return apiGatewayHttpEvent({
    accountId: ACCOUNT_ID,
    apiId: 'bench',
    route: { method: call.method, path: call.path },
    method: call.method,
    rawPath,
    rawQueryString: call.query ? new URLSearchParams(call.query).toString() : '',
    pathParameters: call.params,
    rawHeaders,
    body,
    sourceIp: SOURCE_IP,
    defaultDomainName: DOMAIN,
    forwarded: FORWARDED,
  });
}

export interface WsEventInput {
  routeKey: string;
  connectionId: string;
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
  /** MESSAGE only: the frame, a string as is, anything else as JSON. */
  body?: unknown;
  /** CONNECT only, as on AWS: the query string of the upgrade request. */
  query?: Record<string, string>;
}

/** The WebSocket API event of `input`; a DISCONNECT is a client's normal close (1000). */
export function wsEvent(input: WsEventInput): WebSocketEvent {
  const now = Date.now();
  const connection: WsConnection = { connectionId: input.connectionId, connectedAt: now, domainName: DOMAIN, sourceIp: SOURCE_IP, userAgent: USER_AGENT };
  switch (input.eventType) {
    case 'CONNECT':
      return wsConnectEvent({
        api: WS_API,
        connection,
        rawHeaders: ['Host', DOMAIN, 'Sec-WebSocket-Version', '13', 'User-Agent', USER_AGENT],
        rawQueryString: input.query ? new URLSearchParams(input.query).toString() : '',
        forwarded: FORWARDED,
        now,
      });
    case 'MESSAGE':
      return wsMessageEvent({
        api: WS_API,
        connection,
        routeKey: input.routeKey,
        body: typeof input.body === 'string' ? input.body : input.body === undefined ? '' : JSON.stringify(input.body),
        now,
      });
    case 'DISCONNECT':
      return wsDisconnectEvent({ api: WS_API, connection, statusCode: 1000, reason: 'Client closed', forwarded: FORWARDED, now });
  }
}

/** API Gateway style connection id. */
export const newConnectionId = () => apiId().replace(/[+/]/g, 'x');
