/**
 * The shared middy stacks (`functions/lib/http.ts`, `ws.ts`) and their one
 * failure reporter (`failures.ts`), with authentication and the domain
 * context stubbed: JSON body parsing, typed results and `respond()`,
 * problems and WebSocket error frames of the same shape, the frame a
 * handler sees, `$default` and `$connect` on the same stack.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { ConflictError, NotFoundError, RateLimitedError, UnauthorizedError } from '../../functions/domain/errors';

const principal = { userId: 'alice', name: 'Alice', roles: ['user'] };
const auth = vi.hoisted(() => ({ fail: undefined as Error | undefined }));
vi.mock('../../functions/lib/auth', () => ({
  bearerToken: (header: string | undefined) => header?.replace(/^Bearer /, ''),
  authenticate: async () => {
    if (auth.fail) throw auth.fail;
    return principal;
  },
}));
vi.mock('../../functions/lib/runtime', () => ({
  domainContext: () => ({
    now: () => new Date(),
    limits: { directoryRoleSeconds: 86_400, banCheckSeconds: 30 },
    // A connection record whose token is valid for another hour (SPEC §6: a connection lives no longer than its token).
    repo: { users: { touch: async () => undefined, isErased: async () => false }, moderation: { state: async (userId: string) => ({ userId, blockedBy: [], blocking: [] }) }, connections: { get: async () => ({ ...principal, expiresAt: Math.floor(Date.now() / 1000) + 3600 }) } },
  }),
}));

const { httpHandler, parseJsonBody, respond } = await import('../../functions/lib/http');
const { wsConnectHandler, wsHandler } = await import('../../functions/lib/ws');
const { logger } = await import('../../functions/lib/logger');
const { metrics } = await import('../../functions/lib/metrics');
const { handler: defaultHandler } = await import('../../functions/ws/default');

const context = { awsRequestId: 'r1', functionName: 'Test', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

const route = {
  name: 'Echo',
  method: 'POST',
  path: '/v1/echo/{id}',
  handler: 'x',
  auth: 'user',
  access: 'user',
  summary: 'echo',
  params: z.object({ id: z.string() }),
  body: z.object({ text: z.string() }),
  permissions: [],
  response: { status: 201, body: z.object({ text: z.string(), status: z.number().optional(), body: z.string().optional() }) },
  statuses: { 200: 'a repeat', 409: 'busy' },
} as const;

function httpEvent(body: string | undefined, contentType: string | null = 'application/json'): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /v1/echo/{id}',
    rawPath: '/v1/echo/1',
    rawQueryString: '',
    headers: { authorization: 'Bearer t', ...(contentType ? { 'content-type': contentType } : {}) },
    pathParameters: { id: '1' },
    body,
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1', routeKey: 'POST /v1/echo/{id}' },
  } as unknown as APIGatewayProxyEventV2;
}

const echo = httpHandler(route, async ({ body }) => ({ text: body.text }));
const send = async (handler: typeof echo, event: APIGatewayProxyEventV2) => {
  const result = (await handler(event, context)) as { statusCode: number; headers: Record<string, string>; body: string };
  return { ...result, json: result.body ? JSON.parse(result.body) : undefined };
};

afterEach(() => {
  auth.fail = undefined;
  vi.restoreAllMocks();
});

describe('JSON bodies', () => {
  it('accepts every JSON media type, parameters or not, `application/json;` included', async () => {
    for (const type of ['application/json', 'application/json;', 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8', 'application/problem+json', 'application/vnd.chat+json ; x=y']) {
      const res = await send(echo, httpEvent('{"text":"hi"}', type));
      expect(res.statusCode, type).toBe(201);
      expect(res.json).toEqual({ text: 'hi' });
    }
  });

  it('answers 415 for another content type and 400 for text that is not JSON, both as problems', async () => {
    for (const type of ['text/plain', 'application/jsonp', 'application/x-www-form-urlencoded', null]) {
      const res = await send(echo, httpEvent('{"text":"hi"}', type));
      expect(res.statusCode, String(type)).toBe(415);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.json).toMatchObject({ status: 415, code: 'bad_request', detail: 'Send the body as application/json.', instance: '/v1/echo/1' });
    }
    const bad = await send(echo, httpEvent('{"text":'));
    expect(bad.statusCode).toBe(400);
    expect(bad.json).toMatchObject({ code: 'bad_request', detail: 'The body is not valid JSON.' });
  });

  it('is prototype-safe: a `__proto__` key at any depth, escaped or not, is a 400', async () => {
    for (const text of ['{"text":"x","__proto__":{"admin":true}}', '{"text":"x","a":[{"__proto__":1}]}', '{"text":"x","\\u005f_proto__":{}}']) {
      const res = await send(echo, httpEvent(text));
      expect(res.statusCode, text).toBe(400);
      expect(res.json.detail).toContain('__proto__');
    }
    expect(parseJsonBody({ body: '{"constructor":{"prototype":1}}', headers: { 'content-type': 'application/json' }, isBase64Encoded: false })).toEqual({ constructor: { prototype: 1 } });
  });

  it('decodes base64 bodies, and ignores a body on a route that takes none', async () => {
    const base64 = { ...httpEvent(Buffer.from('{"text":"b64"}').toString('base64')), isBase64Encoded: true };
    expect((await send(echo, base64)).json).toEqual({ text: 'b64' });
    const { body: _b, ...noBody } = route;
    const plain = httpHandler(noBody, async () => ({ text: 'ignored the body' }));
    expect((await send(plain as never, httpEvent('not json', 'text/plain'))).statusCode).toBe(201);
  });
});

describe('results', () => {
  it('sends a body that happens to have `status`/`body` keys as the body: only respond() sets a status', async () => {
    const tricky = httpHandler(route, async () => ({ text: 'x', status: 418, body: 'y' }));
    const res = await send(tricky, httpEvent('{"text":"hi"}'));
    expect(res.statusCode).toBe(201);
    expect(res.json).toEqual({ text: 'x', status: 418, body: 'y' });
    const replay = httpHandler(route, async () => respond(200, { text: 'again' }, { 'x-replayed': '1' }));
    expect(await send(replay, httpEvent('{"text":"hi"}'))).toMatchObject({ statusCode: 200, headers: { 'x-replayed': '1', 'content-type': 'application/json' }, json: { text: 'again' } });
  });

  it('types results from the route table: the success body, or respond() with a status and body it lists', () => {
    httpHandler(route, async () => respond(200, { text: 'ok' }));
    // @ts-expect-error: a body that is not the route's response body
    httpHandler(route, async () => ({ words: 'x' }));
    // @ts-expect-error: 202 is not a status of this route
    httpHandler(route, async () => respond(202, { text: 'x' }));
    // @ts-expect-error: 409 is an error: thrown, not responded
    httpHandler(route, async () => respond(409, { text: 'x' }));
    // @ts-expect-error: the 200 replay has the route's body
    httpHandler(route, async () => respond(200, { words: 'x' }));
  });
});

describe('failures: one reporter, one shape on HTTP and WebSocket', () => {
  const wsRoute = {
    name: 'WsEcho',
    routeKey: 'echo',
    handler: 'x',
    summary: 'echo',
    frame: z.object({ action: z.literal('echo'), requestId: z.string().optional(), text: z.string() }),
    answer: z.object({ type: z.literal('ack'), requestId: z.string().optional(), seen: z.array(z.string()) }),
    permissions: [],
    returnResponse: true,
  } as const;
  const frameEvent = (body: string, routeKey = 'echo') =>
    ({ requestContext: { routeKey, connectionId: 'c1', requestId: 'req-2' }, body }) as unknown as APIGatewayProxyWebsocketEventV2;
  const answerOf = async (handler: (event: APIGatewayProxyWebsocketEventV2, context: Context) => Promise<unknown>, body: string, routeKey?: string) =>
    JSON.parse(((await handler(frameEvent(body, routeKey), context)) as { body: string }).body);
  /** The HTTP answer and the WebSocket answer of a handler that throws `error`. */
  const httpFailing = (error: Error) =>
    send(
      httpHandler(route, async () => {
        throw error;
      }),
      httpEvent('{"text":"hi"}'),
    );
  const wsFailing = (error: Error, frame = '{"action":"echo","text":"hi"}') =>
    answerOf(
      wsHandler(wsRoute, async () => {
        throw error;
      }),
      frame,
    );

  it('hands the handler the validated frame without `action` and `requestId`, and echoes the requestId', async () => {
    let seen: unknown;
    const handler = wsHandler(wsRoute, async ({ frame }) => {
      seen = frame;
      return { seen: Object.keys(frame) };
    });
    expect(await answerOf(handler, '{"action":"echo","requestId":"q1","text":"hi","extra":1}')).toEqual({ type: 'ack', requestId: 'q1', seen: ['text'] });
    expect(seen).toEqual({ text: 'hi' });
  });

  it('answers the same code and detail as HTTP, with `message`, `errors` and `retryAfter`', async () => {
    const limited = new RateLimitedError(30);
    const http = await httpFailing(limited);
    const ws = await wsFailing(limited, '{"action":"echo","requestId":"q2","text":"hi"}');
    expect(http).toMatchObject({ statusCode: 429, headers: { 'retry-after': '30' }, json: { code: 'rate_limited', detail: limited.message, retryAfter: 30 } });
    expect(ws).toEqual({ type: 'error', requestId: 'q2', code: 'rate_limited', detail: limited.message, message: limited.message, retryAfter: 30 });

    const invalid = await answerOf(wsHandler(wsRoute, async () => ({ seen: [] })), '{"action":"echo","requestId":"q3","text":5}');
    expect(invalid).toMatchObject({ type: 'error', requestId: 'q3', code: 'bad_request', detail: 'Invalid echo frame.', errors: [{ path: 'frame.text', message: expect.any(String) }] });
    const invalidHttp = await send(echo, httpEvent('{"text":5}'));
    expect(invalidHttp.json).toMatchObject({ code: 'bad_request', errors: [{ path: 'body.text' }] });

    // A retry delay from a domain error becomes Retry-After and retryAfter (no header names in the domain).
    const busy = await httpFailing(new ConflictError('Being stored; retry.', { retryAfterSeconds: 2 }));
    expect(busy).toMatchObject({ statusCode: 409, headers: { 'retry-after': '2' }, json: { code: 'conflict', retryAfter: 2 } });
  });

  it('reports every failure once, whichever API: 5xx logged with a generic answer, rate limits counted', async () => {
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const counted = vi.spyOn(metrics, 'addMetric');
    const boom = new Error('table on fire');
    const http = await httpFailing(boom);
    const ws = await wsFailing(boom);
    const connect = (await wsConnectHandler(async () => {
      throw boom;
    })(frameEvent('', '$connect') as never, context)) as { statusCode: number; headers: Record<string, string>; body: string };
    expect(http.json).toMatchObject({ status: 500, code: 'internal', detail: 'An unexpected error occurred.' });
    expect(ws).toMatchObject({ type: 'error', code: 'internal', detail: 'An unexpected error occurred.' });
    expect(connect).toMatchObject({ statusCode: 500, headers: { 'content-type': 'application/problem+json' } });
    expect(JSON.stringify([http, ws, connect])).not.toContain('on fire');
    expect(logged.mock.calls.map(([message, extra]) => [message, (extra as { error: Error }).error])).toEqual([
      ['request failed', boom],
      ['request failed', boom],
      ['request failed', boom],
    ]);
    await wsFailing(new RateLimitedError(5));
    expect(counted.mock.calls.filter(([name]) => name === 'RateLimited')).toHaveLength(1);
  });

  it('$connect refuses a bad token with a 401 problem+json saying why', async () => {
    auth.fail = new UnauthorizedError('The bearer token has expired; get a new one.');
    const refused = (await wsConnectHandler(async () => undefined)(frameEvent('', '$connect') as never, context)) as { statusCode: number; headers: Record<string, string>; body: string };
    expect(refused).toMatchObject({ statusCode: 401, headers: { 'content-type': 'application/problem+json', 'www-authenticate': 'Bearer' } });
    expect(JSON.parse(refused.body)).toMatchObject({ status: 401, code: 'unauthorized', detail: 'The bearer token has expired; get a new one.', type: 'urn:problem:chat:unauthorized' });
  });

  it('$default answers on the same stack: an error frame with code, detail and the requestId', async () => {
    expect(await answerOf(defaultHandler, '{"action":"fly","requestId":9}', '$default')).toEqual({
      type: 'error',
      requestId: 9,
      code: 'bad_request',
      detail: 'Unknown action "fly".',
      message: 'Unknown action "fly".',
    });
    expect(await answerOf(defaultHandler, 'not json', '$default')).toMatchObject({ type: 'error', code: 'bad_request', detail: 'Frames must be JSON objects with an "action".' });
    expect((await answerOf(defaultHandler, '{"requestId":"x"}', '$default')).requestId).toBe('x');
  });

  it('keeps NotFoundError and friends answering with their own status and code', async () => {
    const res = await httpFailing(new NotFoundError('Chat not found.'));
    expect(res).toMatchObject({ statusCode: 404, json: { type: 'urn:problem:chat:not_found', title: 'Not Found', detail: 'Chat not found.' } });
  });
});
