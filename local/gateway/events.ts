/**
 * The events API Gateway sends a Lambda function, built from plain facts
 * about a request: HTTP API payload format 2.0 events and WebSocket API
 * Lambda proxy events. The local gateway (`local/gateway/http-api.ts`,
 * `local/gateway/websocket-api.ts`) builds them from the requests it serves
 * and the bench (`bench/events.ts`) from the calls it makes; one builder
 * keeps the two from drifting apart, and apart from what API Gateway sends.
 *
 * No I/O and no gateway state: everything a deployment decides (api id,
 * stage, domain, forwarded port) is an input. The only state is a pool of
 * random bytes for ids and a once-a-second cache of the time text, both
 * because these builders run for every request and every WebSocket frame.
 *
 * Formats:
 * - HTTP API: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 *   ("Payload format version", 2.0).
 * - WebSocket API: the `$context` variables of
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html,
 *   which a Lambda proxy integration receives as `requestContext`.
 */
import { randomFillSync } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** What the `X-Forwarded-Port`/`-Proto` headers API Gateway adds say about where the request arrived. */
export interface Forwarded {
  port: number;
  proto: 'http' | 'https';
}

// ------------------------------------------------------------------ HTTP API

export interface HttpEventInput {
  accountId: string;
  apiId: string;
  /** Default `$default`, the stage an HTTP API deploys to automatically. */
  stage?: string;
  /** The matched route, API Gateway path syntax (`{param}` segments). */
  route: { method: string; path: string };
  /** The request's method; what `requestContext.http.method` reports for an `ANY` route. */
  method: string;
  /** Path as requested, still percent-encoded. */
  rawPath: string;
  /** Query string without the `?`; `''` when there is none. */
  rawQueryString: string;
  /** Decoded values of the route's `{param}` segments. */
  pathParameters?: Record<string, string>;
  /** As Node's `IncomingMessage.rawHeaders`: `[name, value, name, value, …]`, names in any case, repeats kept. */
  rawHeaders: readonly string[];
  /** Request body; empty or absent means none. */
  body?: Buffer | string;
  sourceIp: string;
  /** Reported when the request has no `Host` header (HTTP/1.0). */
  defaultDomainName: string;
  forwarded: Forwarded;
  /** Default `HTTP/1.1`. */
  protocol?: string;
  /** Default: a fresh API Gateway style id. Callers that answer `apigw-requestid` pass the same id. */
  requestId?: string;
  /** Default `Date.now()`. */
  timeEpoch?: number;
}

/**
 * An HTTP API payload format 2.0 event (`APIGatewayProxyEventV2`):
 *
 * ```
 * { version: '2.0', routeKey: 'GET /items/{id}', rawPath, rawQueryString,
 *   cookies?, headers, queryStringParameters?, pathParameters?,
 *   requestContext: { accountId, apiId, domainName, domainPrefix,
 *     http: { method, path, protocol, sourceIp, userAgent },
 *     requestId, routeKey, stage, time: '12/Mar/2020:19:03:58 +0000', timeEpoch },
 *   body?, isBase64Encoded }
 * ```
 *
 * Headers as {@link headersV2} makes them, plus the `x-forwarded-*` and
 * `x-amzn-trace-id` headers API Gateway adds; query parameters as
 * {@link queryV2}; the body as text when {@link isTextual} says so, else
 * base64 with `isBase64Encoded: true`.
 */
export function httpEvent(input: HttpEventInput): APIGatewayProxyEventV2 {
  const { headers, cookies } = headersV2(input.rawHeaders);
  const { sourceIp, rawPath } = input;
  const domainName = headers.host ?? input.defaultDomainName;
  // A client's own X-Forwarded-For is kept and extended, as a proxy does; the others are only filled in.
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${sourceIp}` : sourceIp;
  headers['x-forwarded-port'] ??= String(input.forwarded.port);
  headers['x-forwarded-proto'] ??= input.forwarded.proto;
  headers['x-amzn-trace-id'] ??= traceId();
  const now = input.timeEpoch ?? Date.now();
  const routeKey = `${input.route.method} ${input.route.path}`;
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: input.rawQueryString,
    headers,
    requestContext: {
      accountId: input.accountId,
      apiId: input.apiId,
      domainName,
      domainPrefix: domainName.split('.')[0],
      http: {
        method: input.route.method === 'ANY' ? input.method : input.route.method,
        path: rawPath,
        protocol: input.protocol ?? 'HTTP/1.1',
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: input.requestId ?? apiId(),
      routeKey,
      stage: input.stage ?? '$default',
      time: clfTime(now),
      timeEpoch: now,
    },
    isBase64Encoded: false,
  };
  // Payload 2.0 leaves these fields out rather than sending them empty.
  if (cookies.length) event.cookies = cookies;
  const query = queryV2(input.rawQueryString);
  if (query) event.queryStringParameters = query;
  if (input.pathParameters && Object.keys(input.pathParameters).length) event.pathParameters = input.pathParameters;
  const body = input.body;
  if (body?.length) {
    if (isTextual(headers['content-type'])) event.body = typeof body === 'string' ? body : body.toString('utf8');
    else {
      event.body = (typeof body === 'string' ? Buffer.from(body, 'utf8') : body).toString('base64');
      event.isBase64Encoded = true;
    }
  }
  return event;
}

/**
 * Payload v2 headers: names lower-cased, repeated headers joined with `,`,
 * `cookie` moved to `cookies` (split on `;`), as API Gateway does.
 */
export function headersV2(rawHeaders: readonly string[]): { headers: Record<string, string>; cookies: string[] } {
  // A Map, because header names are client input: `__proto__` or `constructor` must stay plain keys.
  const headers = new Map<string, string>();
  const cookies: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = rawHeaders[i + 1];
    if (name === 'cookie') {
      for (const part of value.split(';')) if (part.trim()) cookies.push(part.trim());
      continue;
    }
    const previous = headers.get(name);
    headers.set(name, previous === undefined ? value : `${previous},${value}`);
  }
  return { headers: Object.fromEntries(headers), cookies };
}

/** Payload v2 query parameters: decoded, repeated keys joined with `,`; undefined when there are none. */
export function queryV2(rawQueryString: string): Record<string, string> | undefined {
  const multi = multiQuery(rawQueryString);
  return multi && Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v.join(',')]));
}

/**
 * Whether API Gateway passes a body of this type as text; other bodies
 * (binary types, and bodies without a content type) arrive base64-encoded
 * with `isBase64Encoded: true`.
 */
export function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript' ||
    type === 'application/graphql'
  );
}

// ------------------------------------------------------------------ WebSocket API

/** `$connect`/`MESSAGE`/`$disconnect` event of the WebSocket API (Lambda proxy integration). */
export interface WebSocketEvent {
  requestContext: {
    routeKey: string;
    eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
    messageId?: string;
    extendedRequestId: string;
    requestTime: string;
    messageDirection: 'IN';
    stage: string;
    connectedAt: number;
    requestTimeEpoch: number;
    identity: { sourceIp: string; userAgent: string };
    requestId: string;
    domainName: string;
    connectionId: string;
    apiId: string;
    disconnectStatusCode?: number;
    disconnectReason?: string;
  };
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  body?: string;
  isBase64Encoded: boolean;
}

/** The WebSocket API a connection belongs to. */
export interface WsApi {
  apiId: string;
  stage: string;
}

/** What every WebSocket event of one connection shares, fixed when it connects. */
export interface WsConnection {
  connectionId: string;
  /** Epoch ms. */
  connectedAt: number;
  /** The `Host` the client connected to. */
  domainName: string;
  sourceIp: string;
  userAgent: string;
}

export interface WsConnectInput {
  api: WsApi;
  connection: WsConnection;
  /** The upgrade request's headers as Node's `IncomingMessage.rawHeaders`. */
  rawHeaders: readonly string[];
  /** Query string of the upgrade request without the `?`; `''` when there is none. */
  rawQueryString: string;
  forwarded: Forwarded;
  /** Default `Date.now()`. */
  now?: number;
}

/**
 * The `$connect` event:
 *
 * ```
 * { headers, multiValueHeaders, requestContext: { routeKey: '$connect', eventType: 'CONNECT', … },
 *   queryStringParameters?, multiValueQueryStringParameters?, isBase64Encoded: false }
 * ```
 *
 * Unlike payload v2, header names keep the client's case and repeats are
 * listed in `multiValueHeaders` (the single-value map keeps the last);
 * `X-Forwarded-For`/`-Port`/`-Proto` and `X-Amzn-Trace-Id` are added when the
 * client did not send them. A repeated query key's single value is its last.
 * `$connect` is the only WebSocket event with the request's query string.
 */
export function wsConnectEvent(input: WsConnectInput): WebSocketEvent {
  // Maps, because header names are client input: `__proto__` or `constructor` must stay plain keys.
  const single = new Map<string, string>();
  const multi = new Map<string, string[]>();
  const raw = input.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    single.set(raw[i], raw[i + 1]);
    const values = multi.get(raw[i]);
    if (values) values.push(raw[i + 1]);
    else multi.set(raw[i], [raw[i + 1]]);
  }
  for (const [name, value] of [
    ['X-Forwarded-For', input.connection.sourceIp],
    ['X-Forwarded-Port', String(input.forwarded.port)],
    ['X-Forwarded-Proto', input.forwarded.proto],
    ['X-Amzn-Trace-Id', traceId()],
  ]) {
    if (!single.has(name)) single.set(name, value);
    if (!multi.has(name)) multi.set(name, [value]);
  }
  const event: WebSocketEvent = {
    headers: Object.fromEntries(single),
    multiValueHeaders: Object.fromEntries(multi),
    requestContext: wsRequestContext(input.api, input.connection, '$connect', 'CONNECT', input.now),
    isBase64Encoded: false,
  };
  const query = multiQuery(input.rawQueryString);
  if (query) {
    event.queryStringParameters = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v[v.length - 1]]));
    event.multiValueQueryStringParameters = query;
  }
  return event;
}

export interface WsMessageInput {
  api: WsApi;
  connection: WsConnection;
  /** The selected route: an action route's key or `$default`. */
  routeKey: string;
  /** The text frame's content. */
  body: string;
  /** Default `Date.now()`. */
  now?: number;
}

/**
 * A message event: `{ requestContext: { routeKey, eventType: 'MESSAGE',
 * messageId, … }, body, isBase64Encoded: false }`. Only message events carry
 * a `messageId`.
 */
export function wsMessageEvent(input: WsMessageInput): WebSocketEvent {
  return {
    requestContext: wsRequestContext(input.api, input.connection, input.routeKey, 'MESSAGE', input.now),
    body: input.body,
    isBase64Encoded: false,
  };
}

export interface WsDisconnectInput {
  api: WsApi;
  connection: WsConnection;
  /** WebSocket close code, e.g. 1000 (client closed), 1001 (idle or shutdown), 1006 (dropped). */
  statusCode: number;
  reason: string;
  forwarded: Forwarded;
  /** Default `Date.now()`. */
  now?: number;
}

/**
 * The `$disconnect` event: `{ headers, multiValueHeaders, requestContext: {
 * routeKey: '$disconnect', eventType: 'DISCONNECT', …, disconnectStatusCode,
 * disconnectReason }, isBase64Encoded: false }`. The connection's request is
 * long gone, so the headers are only `Host` and the `X-Forwarded-*` ones.
 */
export function wsDisconnectEvent(input: WsDisconnectInput): WebSocketEvent {
  const { connection, forwarded } = input;
  const requestContext = wsRequestContext(input.api, connection, '$disconnect', 'DISCONNECT', input.now);
  requestContext.disconnectStatusCode = input.statusCode;
  requestContext.disconnectReason = input.reason;
  const headers: Record<string, string> = {
    Host: connection.domainName,
    'X-Forwarded-For': connection.sourceIp,
    'X-Forwarded-Port': String(forwarded.port),
    'X-Forwarded-Proto': forwarded.proto,
  };
  return {
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    requestContext,
    isBase64Encoded: false,
  };
}

function wsRequestContext(
  api: WsApi,
  c: WsConnection,
  routeKey: string,
  eventType: WebSocketEvent['requestContext']['eventType'],
  now = Date.now(),
): WebSocketEvent['requestContext'] {
  return {
    routeKey,
    eventType,
    // API Gateway sets messageId on MESSAGE events only.
    ...(eventType === 'MESSAGE' ? { messageId: apiId() } : {}),
    extendedRequestId: apiId(),
    requestTime: clfTime(now),
    messageDirection: 'IN',
    stage: api.stage,
    connectedAt: c.connectedAt,
    requestTimeEpoch: now,
    identity: { sourceIp: c.sourceIp, userAgent: c.userAgent },
    requestId: apiId(),
    domainName: c.domainName,
    connectionId: c.connectionId,
    apiId: api.apiId,
  };
}

// ------------------------------------------------------------------ shared parts

function multiQuery(rawQueryString: string): Record<string, string[]> | undefined {
  if (!rawQueryString) return undefined;
  // A Map, because keys are client input: `?__proto__=1` or `?constructor=1` must stay plain keys.
  const out = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    const values = out.get(key);
    if (values) values.push(value);
    else out.set(key, [value]);
  }
  // Object.fromEntries defines own properties, so even "__proto__" becomes an ordinary key.
  return out.size ? Object.fromEntries(out) : undefined;
}

/**
 * Random bytes for ids, drawn from a pool refilled 4 KB at a time: a
 * `randomBytes` call per id (several per request and frame) cost more CPU
 * than the rest of the event building. Same CSPRNG, same id formats.
 */
const RANDOM_POOL_BYTES = 4096;
const randomPool = Buffer.allocUnsafe(RANDOM_POOL_BYTES);
let randomOffset = RANDOM_POOL_BYTES;
function randomSlice(size: number): Buffer {
  if (randomOffset + size > RANDOM_POOL_BYTES) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const slice = randomPool.subarray(randomOffset, randomOffset + size);
  randomOffset += size;
  return slice;
}

/** `size` random bytes as hex, from the same pool as {@link apiId}. */
export function randomHex(size: number): string {
  return randomSlice(size).toString('hex');
}

/** API Gateway style ids (request ids, connection ids): 16 characters of base64, e.g. `Lb3xYc1KoAMCJ7Q=`. */
export function apiId(): string {
  return randomSlice(11).toString('base64');
}

/** An X-Ray trace header, `Root=1-{epoch seconds, hex}-{96 random bits, hex}`. */
function traceId(): string {
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomHex(12)}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));
let clfCache = { second: NaN, text: '' };
/** `12/Mar/2020:19:03:58 +0000`, the format of `requestContext.time`/`requestTime` (formatted once per second). */
export function clfTime(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second === clfCache.second) return clfCache.text;
  const d = new Date(epochMs);
  const text = `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
  clfCache = { second, text };
  return text;
}
