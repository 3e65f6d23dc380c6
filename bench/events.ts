/**
 * API Gateway events as the deployed functions receive them (HTTP API payload
 * v2 and WebSocket API proxy events, same shapes as `local/gateway.ts`
 * builds), and a Lambda context.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

const ACCOUNT_ID = '000000000000';
const DOMAIN = 'bench.execute-api.us-east-1.amazonaws.com';

const apiId = () => randomBytes(11).toString('base64');

export function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + 30_000;
  const unsupported = () => {
    throw new Error('callback-style context methods are not supported');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `bench/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

export interface HttpCall {
  method: string;
  /** Route path with `{param}` segments, e.g. `/v1/chats/{chatId}/messages`. */
  path: string;
  token?: string;
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

export function httpEvent(call: HttpCall): APIGatewayProxyEventV2 {
  const rawPath = call.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(call.params?.[name] ?? ''));
  const query = call.query && Object.keys(call.query).length ? call.query : undefined;
  const rawQueryString = query ? new URLSearchParams(query).toString() : '';
  const headers: Record<string, string> = {
    accept: 'application/json',
    host: DOMAIN,
    'user-agent': 'chat-bench',
    'x-forwarded-for': '127.0.0.1',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    'x-amzn-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`,
  };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  const body = call.body === undefined ? undefined : JSON.stringify(call.body);
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  const routeKey = `${call.method} ${call.path}`;
  const now = Date.now();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: 'bench',
      domainName: DOMAIN,
      domainPrefix: 'bench',
      http: { method: call.method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'chat-bench' },
      requestId: apiId(),
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    isBase64Encoded: false,
  };
  if (query) event.queryStringParameters = query;
  if (call.params && Object.keys(call.params).length) event.pathParameters = call.params;
  if (body !== undefined) event.body = body;
  return event;
}

export interface WsEventInput {
  routeKey: string;
  connectionId: string;
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
  body?: unknown;
  query?: Record<string, string>;
}

export function wsEvent(input: WsEventInput) {
  const now = Date.now();
  const event: Record<string, unknown> = {
    requestContext: {
      routeKey: input.routeKey,
      eventType: input.eventType,
      ...(input.eventType === 'MESSAGE' ? { messageId: apiId() } : {}),
      extendedRequestId: apiId(),
      requestTime: new Date(now).toUTCString(),
      messageDirection: 'IN',
      stage: 'prod',
      connectedAt: now,
      requestTimeEpoch: now,
      identity: { sourceIp: '127.0.0.1', userAgent: 'chat-bench' },
      requestId: apiId(),
      domainName: DOMAIN,
      connectionId: input.connectionId,
      apiId: 'bench',
      ...(input.eventType === 'DISCONNECT' ? { disconnectStatusCode: 1000, disconnectReason: 'Client closed' } : {}),
    },
    isBase64Encoded: false,
  };
  if (input.eventType === 'CONNECT') {
    event.headers = { Host: DOMAIN, 'Sec-WebSocket-Version': '13', 'User-Agent': 'chat-bench' };
    event.multiValueHeaders = { Host: [DOMAIN], 'Sec-WebSocket-Version': ['13'], 'User-Agent': ['chat-bench'] };
  }
  if (input.query) {
    event.queryStringParameters = input.query;
    event.multiValueQueryStringParameters = Object.fromEntries(Object.entries(input.query).map(([k, v]) => [k, [v]]));
  }
  if (input.body !== undefined) event.body = typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
  return event;
}

/** API Gateway style connection id. */
export const newConnectionId = () => randomBytes(11).toString('base64').replace(/[+/]/g, 'x');
