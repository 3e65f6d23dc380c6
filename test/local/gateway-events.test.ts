/**
 * The API Gateway event builders (`local/gateway/events.ts`) on their own,
 * and the bench's use of them (`bench/events.ts`). The gateway tests cover
 * the same events as handlers receive them over real sockets.
 */
import { describe, expect, it } from 'vitest';
import { httpEvent as benchHttpEvent, wsEvent as benchWsEvent } from '../../bench/events';
import { clfTime, httpEvent, wsConnectEvent, wsDisconnectEvent, wsMessageEvent, type HttpEventInput, type WsConnection } from '../../local/gateway/events';

const at = Date.UTC(2020, 2, 12, 19, 3, 58, 250);
const ID = /^[A-Za-z0-9+/]{15}=$/;
const TRACE = /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/;

const http = (overrides: Partial<HttpEventInput> = {}) =>
  httpEvent({
    accountId: '000000000000',
    apiId: 'api',
    route: { method: 'POST', path: '/chats/{chatId}/messages' },
    method: 'POST',
    rawPath: '/chats/c%201/messages',
    rawQueryString: 'tag=a&tag=b&q=x%20y',
    pathParameters: { chatId: 'c 1' },
    rawHeaders: ['Host', 'api.example.com', 'Content-Type', 'application/json', 'X-Multi', '1', 'x-multi', '2', 'Cookie', 'a=1; b=2', 'User-Agent', 'ua'],
    body: Buffer.from('{"text":"hi"}'),
    sourceIp: '10.0.0.1',
    defaultDomainName: 'fallback:1234',
    forwarded: { port: 443, proto: 'https' },
    requestId: 'req',
    timeEpoch: at,
    ...overrides,
  });

describe('httpEvent (HTTP API payload 2.0)', () => {
  it('builds the route, path, query, cookies, headers and text body', () => {
    const event = http();
    // Field by field: the gateway tests assert the whole event as a handler receives it.
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('POST /chats/{chatId}/messages');
    expect(event.pathParameters).toEqual({ chatId: 'c 1' });
    expect(event.queryStringParameters).toEqual({ tag: 'a,b', q: 'x y' });
    expect(event.cookies).toEqual(['a=1', 'b=2']);
    expect([event.body, event.isBase64Encoded]).toEqual(['{"text":"hi"}', false]);
    expect(event.requestContext).toEqual({
      accountId: '000000000000',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method: 'POST', path: '/chats/c%201/messages', protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'ua' },
      requestId: 'req',
      routeKey: 'POST /chats/{chatId}/messages',
      stage: '$default',
      time: '12/Mar/2020:19:03:58 +0000',
      timeEpoch: at,
    });
    expect(event.headers).toMatchObject({
      host: 'api.example.com',
      'content-type': 'application/json',
      'x-multi': '1,2',
      'x-forwarded-for': '10.0.0.1',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    });
    expect(event.headers['x-amzn-trace-id']).toMatch(TRACE);
    expect(event.headers).not.toHaveProperty('cookie');
  });

  it('base64-encodes non-text bodies and leaves out empty fields', () => {
    const binary = http({ rawHeaders: ['Content-Type', 'application/octet-stream'], body: Buffer.from([0xff, 0x00]) });
    expect(binary).toMatchObject({ body: '/wA=', isBase64Encoded: true });
    // Same decision for a body given as text.
    expect(http({ rawHeaders: [], body: 'hi' })).toMatchObject({ body: 'aGk=', isBase64Encoded: true });

    const bare = http({ rawQueryString: '', pathParameters: {}, rawHeaders: [], body: Buffer.alloc(0), requestId: undefined });
    for (const field of ['cookies', 'queryStringParameters', 'pathParameters', 'body']) expect(bare).not.toHaveProperty(field);
    expect(bare.isBase64Encoded).toBe(false);
    expect(bare.requestContext.domainName).toBe('fallback:1234');
    expect(bare.requestContext.requestId).toMatch(ID);
  });

  it('extends a client X-Forwarded-For and keeps its trace id; ANY routes report the request method', () => {
    const event = http({
      route: { method: 'ANY', path: '/{proxy}' },
      method: 'DELETE',
      rawHeaders: ['X-Forwarded-For', '1.2.3.4', 'X-Amzn-Trace-Id', 'Root=mine', 'X-Forwarded-Proto', 'http'],
    });
    expect(event.routeKey).toBe('ANY /{proxy}');
    expect(event.requestContext.http.method).toBe('DELETE');
    expect(event.headers).toMatchObject({ 'x-forwarded-for': '1.2.3.4, 10.0.0.1', 'x-amzn-trace-id': 'Root=mine', 'x-forwarded-proto': 'http' });
  });
});

describe('WebSocket events', () => {
  const api = { apiId: 'ws', stage: 'prod' };
  const connection: WsConnection = { connectionId: 'conn=', connectedAt: at - 5000, domainName: 'ws.example.com', sourceIp: '10.0.0.2', userAgent: 'ua' };
  const forwarded = { port: 443, proto: 'https' } as const;

  it('CONNECT: headers in their case, repeats listed, forwarding headers added, query; no messageId', () => {
    const event = wsConnectEvent({
      api,
      connection,
      rawHeaders: ['Host', 'ws.example.com', 'X-Multi', '1', 'X-Multi', '2'],
      rawQueryString: 'token=t&v=1&v=2',
      forwarded,
      now: at,
    });
    expect(event.headers).toMatchObject({ Host: 'ws.example.com', 'X-Multi': '2', 'X-Forwarded-For': '10.0.0.2', 'X-Forwarded-Port': '443', 'X-Forwarded-Proto': 'https' });
    expect(event.headers!['X-Amzn-Trace-Id']).toMatch(TRACE);
    expect(event.multiValueHeaders).toMatchObject({ 'X-Multi': ['1', '2'], 'X-Forwarded-For': ['10.0.0.2'] });
    expect(event.queryStringParameters).toEqual({ token: 't', v: '2' });
    expect(event.multiValueQueryStringParameters).toEqual({ token: ['t'], v: ['1', '2'] });
    expect(event.requestContext).toMatchObject({
      routeKey: '$connect',
      eventType: 'CONNECT',
      messageDirection: 'IN',
      stage: 'prod',
      apiId: 'ws',
      connectionId: 'conn=',
      connectedAt: at - 5000,
      domainName: 'ws.example.com',
      identity: { sourceIp: '10.0.0.2', userAgent: 'ua' },
      requestTime: '12/Mar/2020:19:03:58 +0000',
      requestTimeEpoch: at,
    });
    expect(event.requestContext).not.toHaveProperty('messageId');
    expect(event.requestContext.requestId).toMatch(ID);
    expect(event).not.toHaveProperty('body');
  });

  it('CONNECT: header names that are Object.prototype properties stay plain headers', () => {
    const event = wsConnectEvent({ api, connection, rawHeaders: ['constructor', 'a', '__proto__', 'b', 'constructor', 'c'], rawQueryString: '', forwarded });
    expect(Object.getOwnPropertyDescriptor(event.headers, '__proto__')?.value).toBe('b');
    expect(event.headers!.constructor).toBe('c');
    expect(event.multiValueHeaders!.constructor).toEqual(['a', 'c']);
    expect(event).not.toHaveProperty('queryStringParameters');
  });

  it('MESSAGE carries messageId and the body; DISCONNECT its close code and reason', () => {
    const message = wsMessageEvent({ api, connection, routeKey: 'sendMessage', body: '{"action":"sendMessage"}', now: at });
    expect(message).toEqual({ requestContext: expect.objectContaining({ routeKey: 'sendMessage', eventType: 'MESSAGE' }), body: '{"action":"sendMessage"}', isBase64Encoded: false });
    expect(message.requestContext.messageId).toMatch(ID);
    expect(Object.keys(message.requestContext).slice(0, 4)).toEqual(['routeKey', 'eventType', 'messageId', 'extendedRequestId']);

    const disconnect = wsDisconnectEvent({ api, connection, statusCode: 1001, reason: 'Going away', forwarded, now: at });
    expect(disconnect.requestContext).toMatchObject({ routeKey: '$disconnect', eventType: 'DISCONNECT', disconnectStatusCode: 1001, disconnectReason: 'Going away' });
    expect(disconnect.requestContext).not.toHaveProperty('messageId');
    expect(disconnect.headers).toEqual({ Host: 'ws.example.com', 'X-Forwarded-For': '10.0.0.2', 'X-Forwarded-Port': '443', 'X-Forwarded-Proto': 'https' });
    expect(disconnect.multiValueHeaders).toEqual({ Host: ['ws.example.com'], 'X-Forwarded-For': ['10.0.0.2'], 'X-Forwarded-Port': ['443'], 'X-Forwarded-Proto': ['https'] });
  });
});

describe('clfTime', () => {
  it('formats UTC in the common log format, also across a cached second', () => {
    expect(clfTime(Date.UTC(2026, 0, 5, 3, 4, 5))).toBe('05/Jan/2026:03:04:05 +0000');
    expect(clfTime(Date.UTC(2026, 0, 5, 3, 4, 5, 999))).toBe('05/Jan/2026:03:04:05 +0000');
    expect(clfTime(Date.UTC(2026, 0, 5, 3, 4, 6))).toBe('05/Jan/2026:03:04:06 +0000');
  });
});

describe('bench events', () => {
  it('are the shared shapes with the bench defaults', () => {
    const http = benchHttpEvent({ method: 'GET', path: '/v1/chats/{chatId}', token: 'tok', params: { chatId: 'a/b' }, query: { limit: '5' } });
    expect(http).toMatchObject({
      routeKey: 'GET /v1/chats/{chatId}',
      rawPath: '/v1/chats/a%2Fb',
      rawQueryString: 'limit=5',
      pathParameters: { chatId: 'a/b' },
      queryStringParameters: { limit: '5' },
      isBase64Encoded: false,
      headers: { authorization: 'Bearer tok', 'user-agent': 'chat-bench', 'x-forwarded-proto': 'https' },
      requestContext: { domainName: 'bench.execute-api.us-east-1.amazonaws.com', domainPrefix: 'bench', stage: '$default' },
    });
    expect(http).not.toHaveProperty('body');
    expect(benchHttpEvent({ method: 'POST', path: '/v1/chats', body: { title: 't' } })).toMatchObject({ body: '{"title":"t"}', isBase64Encoded: false });

    const connect = benchWsEvent({ routeKey: '$connect', eventType: 'CONNECT', connectionId: 'c', query: { token: 'tok' } });
    expect(connect).toMatchObject({ queryStringParameters: { token: 'tok' }, requestContext: { eventType: 'CONNECT', stage: 'prod', connectionId: 'c' } });
    expect(connect.requestContext).not.toHaveProperty('messageId');
    const message = benchWsEvent({ routeKey: 'sendMessage', eventType: 'MESSAGE', connectionId: 'c', body: { action: 'sendMessage' } });
    expect(message).toMatchObject({ body: '{"action":"sendMessage"}', requestContext: { messageId: expect.stringMatching(ID) } });
    const disconnect = benchWsEvent({ routeKey: '$disconnect', eventType: 'DISCONNECT', connectionId: 'c' });
    expect(disconnect.requestContext).toMatchObject({ disconnectStatusCode: 1000, disconnectReason: 'Client closed' });
  });
});
