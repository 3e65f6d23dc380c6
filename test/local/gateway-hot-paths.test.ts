/**
 * The gateway's hot paths (`local/gateway/`), which the load test
 * (`npm run load`) drives thousands of times a second: pooled random ids,
 * cached time formatting, the single-promise invocation with its timeout,
 * and the `@connections` POST fast path. They must behave exactly like the
 * straightforward versions they replaced.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway, type GatewayHttpRoute, type GatewayWsRoute, type LambdaHandler } from '../../local/gateway';
import { connect } from '../support/ws-client';

const httpRoutes: GatewayHttpRoute[] = [
  { name: 'Echo', method: 'GET', path: '/echo', handler: 'echo' },
  { name: 'SyncThrow', method: 'GET', path: '/sync-throw', handler: 'syncThrow' },
  { name: 'SyncValue', method: 'GET', path: '/sync-value', handler: 'syncValue' },
  { name: 'Never', method: 'GET', path: '/never', handler: 'never' },
];

const wsRoutes: GatewayWsRoute[] = [
  { name: 'WsConnect', routeKey: '$connect', handler: 'ok', returnResponse: false },
  { name: 'WsDefault', routeKey: '$default', handler: 'record', returnResponse: true },
  { name: 'WsThrow', routeKey: 'throw', handler: 'syncThrow', returnResponse: true },
  { name: 'WsValue', routeKey: 'value', handler: 'syncValue', returnResponse: true },
];

const events: any[] = [];
const contexts: any[] = [];
const logs: string[] = [];
let gateway: Gateway;

const handlers: Record<string, LambdaHandler> = {
  ok: async () => ({ statusCode: 200 }),
  echo: async (event, context) => {
    events.push(event);
    contexts.push(context);
    return { statusCode: 200, body: '{}' };
  },
  record: async (event, context) => {
    events.push(event);
    contexts.push(context);
    return { statusCode: 200, body: JSON.stringify({ type: 'seen', requestId: event.requestContext.requestId }) };
  },
  // Not async: a synchronous throw and a plain (non-promise) value.
  syncThrow: () => {
    throw new Error('sync kaboom (expected by the test)');
  },
  syncValue: () => ({ statusCode: 200, body: JSON.stringify({ type: 'plain' }) }),
  never: () => new Promise(() => undefined),
};

beforeAll(async () => {
  gateway = await startGateway({
    port: 0,
    httpRoutes,
    wsRoutes,
    loadHandler: async (route) => handlers[route.handler],
    httpTimeoutMs: 200,
    log: (line) => logs.push(line),
  });
});

afterAll(async () => {
  await gateway?.close();
});

/** `12/Mar/2020:19:03:58 +0000` → epoch seconds. */
function clfSeconds(text: string): number {
  const m = /^(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) \+0000$/.exec(text);
  if (!m) throw new Error(`not a CLF time: ${text}`);
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].indexOf(m[2]);
  return Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
}

describe('ids and times over many events', () => {
  it('gives every WebSocket event unique, well-formed ids and a requestTime matching requestTimeEpoch', async () => {
    events.length = 0;
    contexts.length = 0;
    const client = await connect(gateway.wsUrl);
    // Enough frames to refill the random pool many times over (4 KB, ~60 bytes per frame).
    const count = 400;
    for (let i = 0; i < count; i++) client.send({ n: i });
    for (let i = 0; i < count; i++) await client.next((f) => f.type === 'seen');
    await client.close();
    expect(events).toHaveLength(count);

    const ids = events.flatMap((e) => [e.requestContext.requestId, e.requestContext.messageId, e.requestContext.extendedRequestId]);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect(new Set(ids).size).toBe(ids.length);

    for (const e of events) {
      expect(clfSeconds(e.requestContext.requestTime)).toBe(Math.floor(e.requestContext.requestTimeEpoch / 1000));
      expect(Object.keys(e.requestContext).slice(0, 4)).toEqual(['routeKey', 'eventType', 'messageId', 'extendedRequestId']);
    }

    const streams = contexts.map((c) => c.logStreamName);
    for (const stream of streams) expect(stream).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(new Set(streams).size).toBe(streams.length);
    expect(new Set(contexts.map((c) => c.awsRequestId)).size).toBe(contexts.length);
    expect(streams[0].slice(0, 10)).toBe(new Date().toISOString().slice(0, 10).replace(/-/g, '/'));
    expect(() => contexts[0].succeed()).toThrow(/not supported/);
  });

  it('gives HTTP events unique request and trace ids and a matching time', async () => {
    events.length = 0;
    const responses = await Promise.all(Array.from({ length: 200 }, () => fetch(`${gateway.url}/echo`)));
    const requestIds = responses.map((r) => r.headers.get('apigw-requestid'));
    expect(new Set(requestIds).size).toBe(200);
    const traces = events.map((e) => e.headers['x-amzn-trace-id']);
    for (const trace of traces) expect(trace).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(new Set(traces).size).toBe(200);
    for (const e of events) {
      expect(requestIds).toContain(e.requestContext.requestId);
      expect(clfSeconds(e.requestContext.time)).toBe(Math.floor(e.requestContext.timeEpoch / 1000));
    }
  });
});

describe('invocation', () => {
  it('treats a synchronous throw as a failure and a plain value as a result, on both APIs', async () => {
    const thrown = await fetch(`${gateway.url}/sync-throw`);
    expect(thrown.status).toBe(500);
    expect(await thrown.json()).toEqual({ message: 'Internal Server Error' });
    expect(logs.some((l) => l.includes('SyncThrow failed') && l.includes('sync kaboom'))).toBe(true);

    const plain = await fetch(`${gateway.url}/sync-value`);
    expect(plain.status).toBe(200);
    expect(await plain.json()).toEqual({ type: 'plain' });

    const client = await connect(gateway.wsUrl);
    client.send({ action: 'throw' });
    expect(await client.next((f) => f.message === 'Internal server error')).toMatchObject({ connectionId: expect.any(String), requestId: expect.any(String) });
    client.send({ action: 'value' });
    expect(await client.next((f) => f.type === 'plain')).toEqual({ type: 'plain' });
    await client.close();
  });

  it('still answers 503 when the handler never settles', async () => {
    const started = Date.now();
    const res = await fetch(`${gateway.url}/never`);
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });
});

describe('@connections POST', () => {
  function post(connectionId: string, chunks: Buffer[]) {
    return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((done, fail) => {
      const size = chunks.reduce((n, c) => n + c.length, 0);
      const req = httpRequest(
        `${gateway.connectionsUrl}/@connections/${encodeURIComponent(connectionId)}`,
        { method: 'POST', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=local', 'content-length': String(size) } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body }));
        },
      );
      req.on('error', fail);
      // Separate writes with pauses so the body reaches the gateway in several chunks.
      (async () => {
        for (const chunk of chunks) {
          req.write(chunk);
          await new Promise((r) => setTimeout(r, 20));
        }
        req.end();
      })().catch(fail);
    });
  }

  it('answers 200 with an empty JSON body and delivers single- and multi-chunk bodies intact', async () => {
    const client = await connect(gateway.wsUrl);
    const connectionId = gateway.connectionIds().at(-1)!;

    const one = await post(connectionId, [Buffer.from('{"type":"one"}')]);
    expect(one.status).toBe(200);
    expect(one.body).toBe('');
    expect(one.headers['content-type']).toBe('application/json');
    expect(one.headers['content-length']).toBe('0');
    expect(one.headers['apigw-requestid']).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect(await client.next((f) => f.type === 'one')).toEqual({ type: 'one' });

    const text = JSON.stringify({ type: 'many', pad: 'x'.repeat(50_000), end: 'é✓' });
    const bytes = Buffer.from(text);
    const parts = [bytes.subarray(0, 7), bytes.subarray(7, 30_000), bytes.subarray(30_000)];
    expect((await post(connectionId, parts)).status).toBe(200);
    expect(await client.next((f) => f.type === 'many')).toEqual(JSON.parse(text));

    await client.close();
    const gone = await post(connectionId, [Buffer.from('{}')]);
    expect(gone.status).toBe(410);
    expect(gone.headers['x-amzn-errortype']).toBe('GoneException');
    expect(JSON.parse(gone.body)).toEqual({ message: `Connection ${connectionId} is gone` });
  });
});
