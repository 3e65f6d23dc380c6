/**
 * The local gateway (`local/gateway.ts`) with fake routes and in-process fake
 * handlers, no DynamoDB: the fixture of the `gateway-*.test.ts` files. Each
 * test file that imports it gets its own gateway (and its own event logs).
 */
import { request as httpRequest } from 'node:http';
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll } from 'vitest';
import { startGateway, type Gateway, type GatewayHttpRoute, type GatewayWsRoute, type LambdaHandler } from '../../local/gateway';
import type { WsClient } from '../support/ws-client';

export const httpRoutes: GatewayHttpRoute[] = [
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

export const wsRoutes: GatewayWsRoute[] = [
  { name: 'WsConnect', routeKey: '$connect', handler: 'connect', returnResponse: false },
  { name: 'WsDisconnect', routeKey: '$disconnect', handler: 'disconnect', returnResponse: false },
  { name: 'WsDefault', routeKey: '$default', handler: 'wsDefault', returnResponse: true },
  { name: 'WsEcho', routeKey: 'echo', handler: 'wsEcho', returnResponse: true },
  { name: 'WsSilent', routeKey: 'silent', handler: 'wsSilent', returnResponse: false },
  { name: 'WsCrash', routeKey: 'crash', handler: 'boom', returnResponse: true },
  { name: 'WsBurst', routeKey: 'burst', handler: 'wsBurst', returnResponse: true },
  { name: 'WsPing', routeKey: 'ping', handler: 'wsPing', returnResponse: true },
];

/** What the fake handlers received, in order. */
export const connectEvents: any[] = [];
export const disconnectEvents: any[] = [];
export const messageEvents: any[] = [];
/** What the gateway logged (handler failures). */
export const logs: string[] = [];

/** The file's gateway and a management API client for its `@connections` endpoint (set in `beforeAll`). */
export const fixture = {} as { gateway: Gateway; management: ApiGatewayManagementApiClient };

export const json = (statusCode: number, body: unknown) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `frame` as JSON padded with a `pad` field to exactly `bytes` bytes (ASCII, so characters = bytes). */
export function padded(frame: object, bytes: number): string {
  const empty = JSON.stringify({ ...frame, pad: '' });
  return empty.replace('"pad":""', `"pad":"${'y'.repeat(bytes - empty.length)}"`);
}

/** Sends `text` as one fragmented text message of `parts` frames (ws: `fin: false` on all but the last); `between` runs after each non-final frame. */
export function sendFragments(client: WsClient, text: string, parts: number, between?: () => void) {
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
      await fixture.management.send(new PostToConnectionCommand({ ConnectionId: event.requestContext.connectionId, Data: JSON.stringify({ type: 'burst', i }) }));
    }
    return { statusCode: 200, body: JSON.stringify({ type: 'ack', requestId: frame.requestId }) };
  },
};

/** The fake handler of a route (by its `handler` key); rejects for an unknown one. */
export async function fakeLoader(route: { handler: string }) {
  const fn = fakeHandlers[route.handler];
  if (!fn) throw new Error(`no fake handler ${route.handler}`);
  return fn;
}

/** A management API client as the handlers create one (any credentials: the gateway does not check signatures). */
export function managementClient(endpoint: string) {
  return new ApiGatewayManagementApiClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
}

/** Starts the file's gateway before its tests (HTTP integration timeout 300 ms) and closes it after them. */
export function useFakeGateway() {
  beforeAll(async () => {
    fixture.gateway = await startGateway({ port: 0, httpRoutes, wsRoutes, loadHandler: fakeLoader, httpTimeoutMs: 300, log: (line) => logs.push(line) });
    fixture.management = managementClient(fixture.gateway.connectionsUrl);
  });
  afterAll(async () => {
    fixture.management?.destroy();
    await fixture.gateway?.close();
  });
}

/** Raw request for what fetch cannot express (duplicate headers, cookies, exact bytes). */
export function raw(url: string, options: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer | string } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((done, fail) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end(options.body);
  });
}
