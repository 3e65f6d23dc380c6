/**
 * The local gateway's HTTP API (`local/gateway/http-api.ts`) on fake routes
 * and handlers: the payload v2 event, route matching, bodies and limits,
 * API Gateway's error bodies, result mapping and CORS; and what it serves
 * besides the route table (`local/gateway/dev-routes.ts`): `/dev/*` routes,
 * among them the token issuer and the EventBridge stand-in.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEventBus } from '../../local/event-bus';
import type { Gateway } from '../../local/gateway';
import { createIssuer } from '../../local/issuer';
import { fixture, logs, raw, useFakeGateway } from './fake-gateway';

useFakeGateway();
let gateway: Gateway;
beforeAll(() => void ({ gateway } = fixture));
const request = (path: string, options?: Parameters<typeof raw>[1]) => raw(`${gateway.url}${path}`, options);

describe('HTTP API (payload format 2.0)', () => {
  it('builds a realistic v2 event', async () => {
    const res = await request('/items/a%20b%2Fc?x=1&x=2&y=hello%20world&flag', {
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
    const special = JSON.parse((await request('/items/special')).body.toString());
    expect(special.event.routeKey).toBe('GET /items/special');
    expect(special.event.pathParameters).toBeUndefined();
    const sub = JSON.parse((await request('/items/i%231/subs/%F0%9F%91%8D')).body.toString());
    expect(sub.event.pathParameters).toEqual({ id: 'i#1', subId: '👍' });
  });

  it('passes text bodies as text and binary bodies as base64', async () => {
    const text = JSON.parse((await request('/echo', { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"a":"é"}' })).body.toString());
    expect(text.event).toMatchObject({ body: '{"a":"é"}', isBase64Encoded: false, routeKey: 'POST /echo' });

    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const binary = JSON.parse((await request('/echo', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes })).body.toString());
    expect(binary.event.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.event.body, 'base64')).toEqual(bytes);
  });

  it.each([
    ['GET', '/nope'],
    ['DELETE', '/echo'],
    ['GET', '/items/a/b'],
  ])('answers 404 {"message":"Not Found"} to %s %s (unknown path, unmatched method)', async (method, path) => {
    const res = await fetch(`${gateway.url}${path}`, { method });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: 'Not Found' });
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

    const binary = await request('/binary', { headers: { origin: 'https://app.example' } });
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
  });

  it.each(['nope', '{}', '{"userId":"has space"}', '{"userId":"u1","roles":["root"]}', '{"userId":"u1","roles":"admin"}'])(
    'answers POST /dev/token %s with a 400 problem',
    async (body) => {
      const issuer = await createIssuer({ baseUrl: gateway.url });
      for (const route of issuer.routes) gateway.addDevRoute(route.method, route.path, route.handler);
      const bad = await fetch(`${gateway.url}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toBe('application/problem+json');
      expect(await bad.json()).toMatchObject({ status: 400, code: 'bad_request' });
    },
  );
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

