/**
 * The local gateway's WebSocket API (`local/gateway/websocket-api.ts`) on fake
 * routes and handlers: `$connect` refusals and events, route selection on
 * `$request.body.action`, two-way answers, API Gateway's error frames, the
 * 128 KB message and 32 KB frame limits, and the connection lifetime (idle
 * timeout, maximum duration, `$disconnect` exactly once).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { startGateway, WS_MAX_FRAME_BYTES, WS_MAX_MESSAGE_BYTES, type Gateway } from '../../local/gateway';
import { connect, connectExpectRefusal, RefusedError } from '../support/ws-client';
import { connectEvents, disconnectEvents, fakeLoader, fixture, messageEvents, padded, sendFragments, sleep, useFakeGateway, wsRoutes } from './fake-gateway';

useFakeGateway();
let gateway: Gateway;
beforeAll(() => void ({ gateway } = fixture));

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

    // A one-way route's return value is not sent.
    client.send({ action: 'silent' });
    await client.request('echo');
    expect(await client.quiet((f) => f.route === 'silent', 200)).toBe(true);
    await client.close();
  });

  it.each(['{"action":"nope"}', 'not json', '[1,2]', '{"action":42}', '{"action":"$connect"}', '{"noAction":true}'])('routes %s to $default', async (body) => {
    const client = await connect(gateway.wsUrl, 'good');
    client.send(body);
    expect(await client.next((f) => f.route === '$default' && f.body === body)).toMatchObject({ type: 'error', route: '$default' });
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

