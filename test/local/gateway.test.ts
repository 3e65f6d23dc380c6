/**
 * The local API Gateway (`local/gateway.ts`) on its own: fake routes and
 * in-process fake handlers, no DynamoDB. Asserts the API Gateway behaviours
 * handlers rely on (event shapes, limits, error bodies, route selection,
 * `@connections`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  frameSizes,
  startGateway,
  WS_MAX_FRAME_BYTES,
  WS_MAX_MESSAGE_BYTES,
  type Gateway,
  type GatewayHttpRoute,
  type GatewayWsRoute,
  type LambdaHandler,
} from '../../local/gateway';
import { createEventBus } from '../../local/events';
import { createIssuer } from '../../local/issuer';
import { connect, connectExpectRefusal, RefusedError, type WsClient } from '../support/ws-client';

const httpRoutes: GatewayHttpRoute[] = [
  { name: 'GetItem', method: 'GET', path: '/items/{id}', handler: 'echo' },
  { name: 'GetSpecial', method: 'GET', path: '/items/special', handler: 'echo' },
  { name: 'GetSub', method: 'GET', path: '/items/{id}/subs/{subId}', handler: 'echo' },
  { name: 'PostEcho', method: 'POST', path: '/echo', handler: 'echo' },
  { name: 'Boom', method: 'GET', path: '/boom', handler: 'boom' },
  { name: 'Slow', method: 'GET', path: '/slow', handler: 'slow' },
  { name: 'Plain', method: 'GET', path: '/plain', handler: 'plain' },
  { name: 'Binary', method: 'GET', path: '/binary', handler: 'binary' },
  { name: 'BadBody', method: 'GET', path: '/bad-body', handler: 'badBody' },
];

const wsRoutes: GatewayWsRoute[] = [
  { name: 'WsConnect', routeKey: '$connect', handler: 'connect', returnResponse: false },
  { name: 'WsDisconnect', routeKey: '$disconnect', handler: 'disconnect', returnResponse: false },
  { name: 'WsDefault', routeKey: '$default', handler: 'wsDefault', returnResponse: true },
  { name: 'WsEcho', routeKey: 'echo', handler: 'wsEcho', returnResponse: true },
  { name: 'WsSilent', routeKey: 'silent', handler: 'wsSilent', returnResponse: false },
  { name: 'WsCrash', routeKey: 'crash', handler: 'boom', returnResponse: true },
  { name: 'WsBurst', routeKey: 'burst', handler: 'wsBurst', returnResponse: true },
  { name: 'WsPing', routeKey: 'ping', handler: 'wsPing', returnResponse: true },
];

const connectEvents: any[] = [];
const disconnectEvents: any[] = [];
const messageEvents: any[] = [];
const logs: string[] = [];
let gateway: Gateway;
let management: ApiGatewayManagementApiClient;

const json = (statusCode: number, body: unknown) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `frame` as JSON padded with a `pad` field to exactly `bytes` bytes (ASCII, so characters = bytes). */
function padded(frame: object, bytes: number): string {
  const empty = JSON.stringify({ ...frame, pad: '' });
  return empty.replace('"pad":""', `"pad":"${'y'.repeat(bytes - empty.length)}"`);
}

/** Sends `text` as one fragmented text message of `parts` frames (ws: `fin: false` on all but the last); `between` runs after each non-final frame. */
function sendFragments(client: WsClient, text: string, parts: number, between?: () => void) {
  const size = Math.ceil(text.length / parts);
  for (let i = 0; i < parts; i++) {
    client.ws.send(text.slice(i * size, (i + 1) * size), { fin: i === parts - 1 });
    if (i < parts - 1) between?.();
  }
}

const fakeHandlers: Record<string, LambdaHandler> = {
  echo: async (event, context) =>
    json(200, { event, context: { functionName: context.functionName, awsRequestId: context.awsRequestId, remaining: context.getRemainingTimeInMillis() } }),
  boom: async () => {
    throw new Error('kaboom (expected by the test)');
  },
  slow: async () => {
    await sleep(1000);
    return json(200, {});
  },
  plain: async () => ({ hello: 'world' }),
  binary: async () => ({
    statusCode: 201,
    headers: { 'content-type': 'image/png', 'access-control-allow-origin': 'https://evil.example' },
    cookies: ['a=1; Path=/', 'b=2'],
    body: Buffer.from([0, 1, 2, 255]).toString('base64'),
    isBase64Encoded: true,
  }),
  badBody: async () => ({ statusCode: 200, body: { not: 'a string' } }),
  connect: async (event) => {
    connectEvents.push(event);
    if (event.queryStringParameters?.token !== 'good') return json(401, { message: 'Unauthorized' });
    return { statusCode: 200 };
  },
  disconnect: async (event) => {
    disconnectEvents.push(event);
    return { statusCode: 200 };
  },
  wsDefault: async (event) => {
    messageEvents.push(event);
    return { statusCode: 200, body: JSON.stringify({ type: 'error', code: 'unknown_action', route: event.requestContext.routeKey, body: event.body }) };
  },
  wsEcho: async (event) => {
    messageEvents.push(event);
    const frame = JSON.parse(event.body);
    return { statusCode: 200, body: JSON.stringify({ type: 'ack', requestId: frame.requestId, route: event.requestContext.routeKey }) };
  },
  wsSilent: async (event) => {
    messageEvents.push(event);
    return { statusCode: 200, body: JSON.stringify({ type: 'ack', route: 'silent' }) };
  },
  wsPing: async (event) => ({ statusCode: 200, body: JSON.stringify({ type: 'pong', requestId: JSON.parse(event.body).requestId }) }),
  wsBurst: async (event) => {
    const frame = JSON.parse(event.body);
    for (let i = 0; i < frame.count; i++) {
      await management.send(new PostToConnectionCommand({ ConnectionId: event.requestContext.connectionId, Data: JSON.stringify({ type: 'burst', i }) }));
    }
    return { statusCode: 200, body: JSON.stringify({ type: 'ack', requestId: frame.requestId }) };
  },
};

async function fakeLoader(route: { handler: string }) {
  const fn = fakeHandlers[route.handler];
  if (!fn) throw new Error(`no fake handler ${route.handler}`);
  return fn;
}

function managementClient(endpoint: string) {
  return new ApiGatewayManagementApiClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
}

beforeAll(async () => {
  gateway = await startGateway({ port: 0, httpRoutes, wsRoutes, loadHandler: fakeLoader, httpTimeoutMs: 300, log: (line) => logs.push(line) });
  management = managementClient(gateway.url);
});

afterAll(async () => {
  management?.destroy();
  await gateway?.close();
});

/** Raw request for what fetch cannot express (duplicate headers, cookies, exact bytes). */
function raw(path: string, options: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer | string } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((done, fail) => {
    const req = httpRequest(`${gateway.url}${path}`, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end(options.body);
  });
}

describe('HTTP API (payload format 2.0)', () => {
  it('builds a realistic v2 event', async () => {
    const res = await raw('/items/a%20b%2Fc?x=1&x=2&y=hello%20world&flag', {
      headers: { 'X-Dup': ['one', 'two'], Cookie: 'sid=abc; theme=dark', 'User-Agent': 'test-agent', Authorization: 'Bearer t' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['apigw-requestid']).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    const { event, context } = JSON.parse(res.body.toString());
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /items/{id}',
      rawPath: '/items/a%20b%2Fc',
      rawQueryString: 'x=1&x=2&y=hello%20world&flag',
      cookies: ['sid=abc', 'theme=dark'],
      queryStringParameters: { x: '1,2', y: 'hello world', flag: '' },
      pathParameters: { id: 'a b/c' },
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        routeKey: 'GET /items/{id}',
        stage: '$default',
        http: { method: 'GET', path: '/items/a%20b%2Fc', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test-agent' },
      },
    });
    expect(event.headers['x-dup']).toBe('one,two');
    expect(event.headers.authorization).toBe('Bearer t');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(event.body).toBeUndefined();
    expect(event.requestContext.domainName).toBe(`127.0.0.1:${gateway.port}`);
    expect(event.requestContext.time).toMatch(/^\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(5000);
    expect(event.requestContext.requestId).toBe(res.headers['apigw-requestid']);
    expect(context.functionName).toBe('GetItem');
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.remaining).toBeGreaterThan(0);
    expect(context.remaining).toBeLessThanOrEqual(300);
  });

  it('prefers literal routes over parameter routes and decodes every parameter', async () => {
    const special = JSON.parse((await raw('/items/special')).body.toString());
    expect(special.event.routeKey).toBe('GET /items/special');
    expect(special.event.pathParameters).toBeUndefined();
    const sub = JSON.parse((await raw('/items/i%231/subs/%F0%9F%91%8D')).body.toString());
    expect(sub.event.pathParameters).toEqual({ id: 'i#1', subId: '👍' });
  });

  it('passes text bodies as text and binary bodies as base64', async () => {
    const text = JSON.parse((await raw('/echo', { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"a":"é"}' })).body.toString());
    expect(text.event).toMatchObject({ body: '{"a":"é"}', isBase64Encoded: false, routeKey: 'POST /echo' });

    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const binary = JSON.parse((await raw('/echo', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes })).body.toString());
    expect(binary.event.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.event.body, 'base64')).toEqual(bytes);
  });

  it('answers 404 {"message":"Not Found"} for unknown paths and unmatched methods', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['DELETE', '/echo'],
      ['GET', '/items/a/b'],
    ]) {
      const res = await fetch(`${gateway.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.json()).toEqual({ message: 'Not Found' });
    }
  });

  it('answers 413 for bodies over 10 MB without invoking the handler', async () => {
    const res = await fetch(`${gateway.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x61) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ message: 'Request Entity Too Large' });
  });

  it('answers 500 with a generic body when the handler throws, and logs the error', async () => {
    const res = await fetch(`${gateway.url}/boom`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: 'Internal Server Error' });
    expect(logs.some((line) => line.includes('kaboom'))).toBe(true);
  });

  it('answers 500 when the result is malformed (non-string body)', async () => {
    const res = await fetch(`${gateway.url}/bad-body`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: 'Internal Server Error' });
  });

  it('answers 503 when the handler exceeds the integration timeout', async () => {
    const res = await fetch(`${gateway.url}/slow`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ message: 'Service Unavailable' });
  });

  it('maps results per payload v2: no statusCode → 200 JSON; cookies; base64 bodies', async () => {
    const plain = await fetch(`${gateway.url}/plain`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('application/json');
    expect(await plain.json()).toEqual({ hello: 'world' });

    const binary = await raw('/binary', { headers: { origin: 'https://app.example' } });
    expect(binary.status).toBe(201);
    expect(binary.body).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(binary.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2']);
    // The API's CORS configuration wins over the integration's CORS headers.
    expect(binary.headers['access-control-allow-origin']).toBe('*');
  });

  it('answers CORS preflights itself and adds allow-origin to responses', async () => {
    const preflight = await fetch(`${gateway.url}/v1/anything`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization,content-type,idempotency-key');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(preflight.headers.get('access-control-max-age')).toBe('86400');
    // The same CORS as the CDK stack's (functions/api-gateway.ts): Retry-After is readable cross-origin.
    expect(preflight.headers.get('access-control-expose-headers')).toBe('retry-after');

    const withOrigin = await fetch(`${gateway.url}/plain`, { headers: { origin: 'https://app.example' } });
    expect(withOrigin.headers.get('access-control-allow-origin')).toBe('*');
    const withoutOrigin = await fetch(`${gateway.url}/plain`);
    expect(withoutOrigin.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('/dev routes and the issuer', () => {
  it('serves dev routes registered later, and the issuer mints verifiable tokens', async () => {
    const issuer = await createIssuer({ baseUrl: gateway.url });
    for (const route of issuer.routes) gateway.addDevRoute(route.method, route.path, route.handler);
    gateway.addDevRoute('GET', '/dev/hello/{name}', (req) => ({ body: { hello: req.params.name, q: req.query.get('q') } }));
    expect(await (await fetch(`${gateway.url}/dev/hello/w%20x?q=1`)).json()).toEqual({ hello: 'w x', q: '1' });

    const res = await fetch(`${gateway.url}/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'auth0|u1', name: 'Ada', roles: ['support'] }),
    });
    expect(res.status).toBe(200);
    const { token } = await res.json();
    const config = await (await fetch(`${gateway.url}/dev/.well-known/openid-configuration`)).json();
    expect(config).toMatchObject({ issuer: `${gateway.url}/dev`, jwks_uri: `${gateway.url}/dev/.well-known/jwks.json` });
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(config.jwks_uri)), { issuer: config.issuer, audience: 'chat-local' });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: issuer.kid });
    expect(payload).toMatchObject({ sub: 'auth0|u1', name: 'Ada', roles: ['support'] });
    expect(payload.exp! - payload.iat!).toBe(12 * 3600);

    for (const body of ['nope', '{}', '{"userId":"has space"}', '{"userId":"u1","roles":["root"]}', '{"userId":"u1","roles":"admin"}']) {
      const bad = await fetch(`${gateway.url}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(bad.status, body).toBe(400);
      expect(bad.headers.get('content-type')).toBe('application/problem+json');
      expect(await bad.json()).toMatchObject({ status: 400, code: 'bad_request' });
    }
  });
});

describe('/dev/events (EventBridge PutEvents stand-in)', () => {
  it('accepts PutEvents and lists the details at /dev/notifications', async () => {
    const bus = createEventBus();
    for (const route of bus.routes) gateway.addDevRoute(route.method, route.path, route.handler);
    const put = await fetch(`${gateway.url}/dev/events/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
      body: JSON.stringify({ Entries: [{ Source: 'chat', DetailType: 'message.offline', EventBusName: 'chat-local', Detail: JSON.stringify({ recipientId: 'u2', chatId: 'c1' }) }] }),
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) }] });
    expect(await (await fetch(`${gateway.url}/dev/notifications`)).json()).toEqual({ notifications: [{ recipientId: 'u2', chatId: 'c1' }] });
    expect((await fetch(`${gateway.url}/dev/notifications`, { method: 'DELETE' })).status).toBe(204);
    expect(bus.events()).toEqual([]);
  });
});

describe('WebSocket API', () => {
  it('refuses the upgrade with the $connect handler status', async () => {
    expect(await connectExpectRefusal(gateway.wsUrl, 'bad')).toBe(401);
    const refused = await connect(gateway.wsUrl).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RefusedError);
    expect((refused as RefusedError).body).toBe('{"message":"Unauthorized"}');
    // A refused connection never existed: no $disconnect for it.
    const refusedIds = connectEvents.slice(-2).map((e) => e.requestContext.connectionId);
    await sleep(50);
    expect(disconnectEvents.filter((e) => refusedIds.includes(e.requestContext.connectionId))).toEqual([]);
  });

  it('answers 404 to upgrades on other paths', async () => {
    expect(await connectExpectRefusal(`${gateway.url.replace('http', 'ws')}/elsewhere`, 'good')).toBe(404);
  });

  it('builds the $connect event', async () => {
    const client = await connect(gateway.wsUrl, 'good');
    const event = connectEvents.at(-1);
    expect(event).toMatchObject({
      isBase64Encoded: false,
      queryStringParameters: { token: 'good' },
      multiValueQueryStringParameters: { token: ['good'] },
      requestContext: { routeKey: '$connect', eventType: 'CONNECT', messageDirection: 'IN', apiId: 'local', identity: { sourceIp: '127.0.0.1' } },
    });
    expect(event.requestContext.connectionId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect(event.headers['Sec-WebSocket-Key'] ?? event.headers['sec-websocket-key']).toBeTruthy();
    expect(Object.values(event.multiValueHeaders).every(Array.isArray)).toBe(true);
    expect(gateway.connectionIds()).toContain(event.requestContext.connectionId);
    await client.close();
  });

  it('selects routes on $request.body.action and sends two-way responses back', async () => {
    const client = await connect(gateway.wsUrl, 'good');
    const connectionId = connectEvents.at(-1).requestContext.connectionId;

    expect(await client.request('echo', { x: 1 })).toMatchObject({ type: 'ack', route: 'echo' });
    const echoEvent = messageEvents.at(-1);
    expect(echoEvent).toMatchObject({ isBase64Encoded: false, requestContext: { routeKey: 'echo', eventType: 'MESSAGE', connectionId } });
    expect(echoEvent.requestContext.messageId).toBeTruthy();
    expect(JSON.parse(echoEvent.body)).toMatchObject({ action: 'echo', x: 1 });

    for (const body of ['{"action":"nope"}', 'not json', '[1,2]', '{"action":42}', '{"action":"$connect"}', '{"noAction":true}']) {
      client.send(body);
      expect(await client.next((f) => f.route === '$default' && f.body === body)).toMatchObject({ type: 'error', route: '$default' });
    }

    // A one-way route's return value is not sent.
    client.send({ action: 'silent' });
    await client.request('echo');
    expect(await client.quiet((f) => f.route === 'silent', 200)).toBe(true);
    await client.close();
  });

  it('answers API Gateway\'s "Internal server error" frame when a handler throws', async () => {
    const client = await connect(gateway.wsUrl, 'good');
    const connectionId = connectEvents.at(-1).requestContext.connectionId;
    client.send({ action: 'crash' });
    const frame = await client.next((f) => f.message === 'Internal server error');
    expect(frame).toEqual({ message: 'Internal server error', connectionId, requestId: expect.any(String) });
    expect(await client.request('echo')).toMatchObject({ type: 'ack' });
    await client.close();
  });

  it('answers oversize and binary messages with an error frame and keeps the connection', async () => {
    const client = await connect(gateway.wsUrl, 'good');
    const before = messageEvents.length;
    client.send(JSON.stringify({ action: 'echo', pad: 'x'.repeat(128 * 1024) }));
    expect(await client.next((f) => f.type === 'error')).toMatchObject({ type: 'error', code: 'payload_too_large' });
    client.send(Buffer.from([1, 2, 3]));
    expect(await client.next((f) => f.type === 'error')).toMatchObject({ type: 'error', code: 'bad_request' });
    expect(messageEvents.length).toBe(before);
    // Exactly at the limit is still fine (as fragments: a single frame may carry only 32 KB).
    sendFragments(client, padded({ action: 'echo', requestId: 'lim' }, 128 * 1024), 4);
    expect(await client.next((f) => f.requestId === 'lim')).toMatchObject({ type: 'ack' });
    await client.close();
  });

  describe('32 KB frame limit', () => {
    it('answers a 40 KB single frame with an error frame without invoking a handler, and keeps the connection', async () => {
      const client = await connect(gateway.wsUrl, 'good');
      const before = messageEvents.length;
      client.send(padded({ action: 'echo', requestId: 'big' }, 40 * 1024));
      const error = await client.next((f) => f.type === 'error');
      expect(error).toMatchObject({ type: 'error', code: 'payload_too_large' });
      expect(error.message).toContain(`${40 * 1024} bytes`);
      expect(messageEvents.length).toBe(before);
      // Only the error answers it: no handler ran.
      expect(client.received.filter((f) => f.requestId === 'big')).toEqual([error]);
      expect(await client.request('ping')).toMatchObject({ type: 'pong' });
      await client.close();
    });

    it('passes a single frame of exactly 32 KB', async () => {
      const client = await connect(gateway.wsUrl, 'good');
      client.send(padded({ action: 'echo', requestId: 'frame-limit' }, WS_MAX_FRAME_BYTES));
      expect(await client.next((f) => f.requestId === 'frame-limit')).toMatchObject({ type: 'ack', route: 'echo' });
      await client.close();
    });

    it('routes a 100 KB message sent as four fragments, reassembled, with pings between the fragments', async () => {
      const client = await connect(gateway.wsUrl, 'good');
      const text = padded({ action: 'echo', requestId: 'frag' }, 100 * 1024);
      sendFragments(client, text, 4, () => client.ws.ping());
      expect(await client.next((f) => f.requestId === 'frag')).toMatchObject({ type: 'ack', route: 'echo' });
      expect(messageEvents.at(-1).body).toBe(text);
      await client.close();
    });

    it('answers a 129 KB message in fragments of at most 32 KB with an error frame (the 128 KB message limit)', async () => {
      const client = await connect(gateway.wsUrl, 'good');
      const before = messageEvents.length;
      sendFragments(client, padded({ action: 'echo', requestId: 'frag-big' }, 129 * 1024), 5);
      const error = await client.next((f) => f.type === 'error');
      expect(error).toMatchObject({ type: 'error', code: 'payload_too_large' });
      expect(error.message).toContain(`limit is ${WS_MAX_MESSAGE_BYTES} bytes`);
      expect(messageEvents.length).toBe(before);
      expect(await client.request('ping')).toMatchObject({ type: 'pong' });
      await client.close();
    });

    it('answers a fragmented message with one fragment over 32 KB with an error frame', async () => {
      const client = await connect(gateway.wsUrl, 'good');
      const text = padded({ action: 'echo', requestId: 'frag-fat' }, 60 * 1024);
      client.ws.send(text.slice(0, 10 * 1024), { fin: false });
      client.ws.send(text.slice(10 * 1024), { fin: true }); // 50 KB
      expect(await client.next((f) => f.type === 'error')).toMatchObject({ type: 'error', code: 'payload_too_large' });
      // The next message is judged on its own frames.
      expect(await client.request('ping')).toMatchObject({ type: 'pong' });
      await client.close();
    });
  });
});

describe('frameSizes (frame header reader)', () => {
  /** One client frame (RFC 6455 §5.2): 7-, 16- or 64-bit payload length, masked unless `masked: false`. */
  function frame(opcode: number, fin: boolean, length: number, masked = true): Buffer {
    const extended = length > 0xffff ? 8 : length > 125 ? 2 : 0;
    const head = Buffer.alloc(2 + extended + (masked ? 4 : 0));
    head[0] = (fin ? 0x80 : 0) | opcode;
    head[1] = (masked ? 0x80 : 0) | (extended === 8 ? 127 : extended === 2 ? 126 : length);
    if (extended === 2) head.writeUInt16BE(length, 2);
    if (extended === 8) head.writeBigUInt64BE(BigInt(length), 2);
    if (masked) head.set([1, 2, 3, 4], 2 + extended);
    return Buffer.concat([head, Buffer.alloc(length, 0x81)]); // payload bytes that look like frame headers
  }

  const stream = Buffer.concat([
    frame(0x1, true, 5), // small text message
    frame(0x1, false, 300), // fragmented: 16-bit length
    frame(0x9, true, 4), // ping between fragments: not counted
    frame(0x0, false, 70_000), // 64-bit length
    frame(0x0, true, 0),
    frame(0x2, true, 126, false), // unmasked, the 16-bit boundary
    frame(0x1, true, 0),
  ]);
  const expected = [5, 70_000, 126, 0];

  it('reads each message\'s largest data frame from one chunk', () => {
    const sizes = frameSizes();
    sizes.push(stream);
    expect(expected.map(() => sizes.next())).toEqual(expected);
    expect(sizes.next()).toBe(0);
  });

  it('reads the same when every header is split across chunks', () => {
    const sizes = frameSizes();
    for (let i = 0; i < stream.length; i++) sizes.push(stream.subarray(i, i + 1));
    expect(expected.map(() => sizes.next())).toEqual(expected);
  });

  it('queues a message only when its final frame has arrived', () => {
    const sizes = frameSizes();
    sizes.push(frame(0x1, false, 40_000));
    expect(sizes.next()).toBe(0);
    sizes.push(frame(0x0, true, 10));
    expect(sizes.next()).toBe(40_000);
  });
});

describe('@connections management API', () => {
  it('delivers posts in order, describes and deletes connections, fires $disconnect once', async () => {
    const client = await connect(gateway.wsUrl, 'good');
    const connectionId: string = connectEvents.at(-1).requestContext.connectionId;

    await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{"type":"hello","n":1}') }));
    expect(await client.next((f) => f.type === 'hello')).toEqual({ type: 'hello', n: 1 });

    expect(await client.request('burst', { count: 20 })).toMatchObject({ type: 'ack' });
    const burst = client.received.filter((f) => f.type === 'burst').map((f) => f.i);
    expect(burst).toEqual([...Array(20).keys()]);

    const info = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.LastActiveAt).toBeInstanceOf(Date);
    expect(info.LastActiveAt!.getTime()).toBeGreaterThanOrEqual(info.ConnectedAt!.getTime());
    expect(info.Identity).toMatchObject({ SourceIp: '127.0.0.1' });

    await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    const closed = await client.closed;
    expect(closed.code).toBe(1000);
    await sleep(100);
    const mine = disconnectEvents.filter((e) => e.requestContext.connectionId === connectionId);
    expect(mine).toHaveLength(1);
    expect(mine[0].requestContext).toMatchObject({ routeKey: '$disconnect', eventType: 'DISCONNECT', disconnectStatusCode: 1000 });

    const gone = await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{}') })).catch((e: Error) => e);
    expect((gone as Error).name).toBe('GoneException');
  });

  it('answers GoneException for unknown ids, PayloadTooLargeException over 128 KB, 403 without a signature', async () => {
    for (const command of [
      new PostToConnectionCommand({ ConnectionId: 'Lb3xYc1KoAMCJ7Q=', Data: Buffer.from('{}') }),
      new GetConnectionCommand({ ConnectionId: 'Lb3xYc1KoAMCJ7Q=' }),
      new DeleteConnectionCommand({ ConnectionId: 'Lb3xYc1KoAMCJ7Q=' }),
    ]) {
      const error = await management.send(command as any).catch((e: Error) => e);
      expect((error as Error).name).toBe('GoneException');
    }

    const client = await connect(gateway.wsUrl, 'good');
    const connectionId: string = connectEvents.at(-1).requestContext.connectionId;
    const tooBig = await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.alloc(128 * 1024 + 1, 0x61) })).catch((e: Error) => e);
    expect((tooBig as Error).name).toBe('PayloadTooLargeException');

    // The stage prefix of an AWS endpoint is accepted too.
    const staged = managementClient(`${gateway.url}/production`);
    await staged.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{"type":"staged"}') }));
    expect(await client.next((f) => f.type === 'staged')).toEqual({ type: 'staged' });
    staged.destroy();

    const unsigned = await fetch(`${gateway.url}/@connections/${encodeURIComponent(connectionId)}`, { method: 'POST', body: '{}' });
    expect(unsigned.status).toBe(403);
    await client.close();
  });

  it('fires $disconnect exactly once when the client closes', async () => {
    const client = await connect(gateway.wsUrl, 'good');
    const connectionId: string = connectEvents.at(-1).requestContext.connectionId;
    await client.close(4000);
    await sleep(100);
    const mine = disconnectEvents.filter((e) => e.requestContext.connectionId === connectionId);
    expect(mine).toHaveLength(1);
    expect(mine[0].requestContext.disconnectStatusCode).toBe(4000);
    expect(gateway.connectionIds()).not.toContain(connectionId);
  });
});

describe('connection lifetime', () => {
  it('closes idle connections (1001) and connections past their maximum age, firing $disconnect', async () => {
    const events: any[] = [];
    const short = await startGateway({
      port: 0,
      httpRoutes: [],
      wsRoutes,
      loadHandler: async (route) => (route.handler === 'disconnect' ? async (event: any) => void events.push(event) : fakeLoader(route)),
      wsIdleTimeoutMs: 300,
      wsMaxConnectionMs: 1200,
      log: () => undefined,
    });
    try {
      const idle = await connect(short.wsUrl, 'good');
      const started = Date.now();
      expect((await idle.closed).code).toBe(1001);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);

      // Activity keeps the idle timer away, but not the maximum age.
      const busy = await connect(short.wsUrl, 'good');
      const busyStart = Date.now();
      const keepAlive = setInterval(() => busy.send({ action: 'echo' }), 100);
      const closed = await busy.closed;
      clearInterval(keepAlive);
      expect(closed.code).toBe(1001);
      expect(Date.now() - busyStart).toBeGreaterThanOrEqual(1100);

      await sleep(100);
      expect(events.map((e) => e.requestContext.disconnectStatusCode)).toEqual([1001, 1001]);
    } finally {
      await short.close();
    }
  });

  it('close() closes open connections and awaits their $disconnect', async () => {
    const events: any[] = [];
    const temp = await startGateway({
      port: 0,
      httpRoutes: [],
      wsRoutes,
      loadHandler: async (route) =>
        route.handler === 'disconnect'
          ? async (event: any) => {
              await sleep(100);
              events.push(event);
            }
          : fakeLoader(route),
      log: () => undefined,
    });
    const client = await connect(temp.wsUrl, 'good');
    await temp.close();
    expect((await client.closed).code).toBe(1001);
    expect(events).toHaveLength(1);
  });
});

describe('handler loading', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gateway-handlers-'));
    await writeFile(join(dir, 'ok.mjs'), 'export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ path: event.rawPath }) });\n');
    await writeFile(join(dir, 'broken.mjs'), 'throw new Error("Invalid configuration: TABLE_NAME missing");\n');
    await writeFile(join(dir, 'nohandler.mjs'), 'export const other = 1;\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('imports handler files relative to root', async () => {
    const gw = await startGateway({ port: 0, root: dir, httpRoutes: [{ name: 'Ok', method: 'GET', path: '/ok', handler: 'ok.mjs' }], wsRoutes: [] });
    try {
      expect(await (await fetch(`${gw.url}/ok`)).json()).toEqual({ path: '/ok' });
    } finally {
      await gw.close();
    }
  });

  it('fails startup listing every handler that cannot be loaded', async () => {
    const error = await startGateway({
      port: 0,
      root: dir,
      httpRoutes: [
        { name: 'Ok', method: 'GET', path: '/ok', handler: 'ok.mjs' },
        { name: 'Broken', method: 'GET', path: '/broken', handler: 'broken.mjs' },
        { name: 'NoHandler', method: 'GET', path: '/nohandler', handler: 'nohandler.mjs' },
        { name: 'Missing', method: 'GET', path: '/missing', handler: 'missing.mjs' },
      ],
      wsRoutes: [],
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/Could not load 3 handler/);
    expect(message).toContain('Broken (broken.mjs): Invalid configuration: TABLE_NAME missing');
    expect(message).toContain('NoHandler (nohandler.mjs)');
    expect(message).toContain('Missing (missing.mjs)');
  });

  it('with allowMissingHandlers, starts and answers 500 on routes whose file is missing', async () => {
    const warnings: string[] = [];
    const gw = await startGateway({
      port: 0,
      root: dir,
      httpRoutes: [
        { name: 'Ok', method: 'GET', path: '/ok', handler: 'ok.mjs' },
        { name: 'Missing', method: 'GET', path: '/missing', handler: 'missing.mjs' },
      ],
      wsRoutes: [],
      allowMissingHandlers: true,
      log: (line) => warnings.push(line),
    });
    try {
      expect(warnings.join('\n')).toContain('missing.mjs');
      expect((await fetch(`${gw.url}/ok`)).status).toBe(200);
      expect((await fetch(`${gw.url}/missing`)).status).toBe(500);
    } finally {
      await gw.close();
    }
  });
});
