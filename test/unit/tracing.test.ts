/**
 * The Powertools tracer in the shared middy stacks and on the SDK clients,
 * with tracing switched on as on Lambda (`AWS_EXECUTION_ENV` set): each
 * invocation runs inside an X-Ray segment of its own (what Lambda's facade
 * segment is on AWS), and the test reads the subsegments the code recorded.
 * Nothing is sent anywhere: the root segment is never closed, so it is never
 * flushed to a daemon.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import AWSXRay from 'aws-xray-sdk-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';

vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs22.x');
vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'true');
vi.stubEnv('_HANDLER', 'index.handler');

const principal = { userId: 'alice', name: 'Alice', roles: ['user'] };
vi.mock('../../functions/lib/auth', () => ({
  bearerToken: (header: string | undefined) => header?.replace(/^Bearer /, ''),
  authenticate: async () => principal,
}));
vi.mock('../../functions/lib/runtime', () => ({
  domainContext: () => ({
    now: () => new Date(),
    limits: { directoryRoleSeconds: 86_400, banCheckSeconds: 30 },
    repo: { users: { touch: async () => undefined, isErased: async () => false }, moderation: { state: async (userId: string) => ({ userId, blockedBy: [], blocking: [] }) }, connections: { get: async () => ({ userId: 'alice', name: 'Alice', roles: ['user'], expiresAt: Math.floor(Date.now() / 1000) + 3600 }) } },
  }),
}));

// Imported after the environment is set: the tracer reads it once, at module scope, as on a cold start.
const { tracer, traced } = await import('../../functions/lib/tracer');
const { httpHandler } = await import('../../functions/lib/http');
const { wsHandler } = await import('../../functions/lib/ws');
const { createDb } = await import('../../functions/data/client');
const { messageKey } = await import('../../functions/data/keys');
const { NotFoundError } = await import('../../functions/domain/errors');

const SECRET = 'secret message content';
const TOKEN = 'eyJ.secret-token.sig';
const CHAT_ID = '01JD8X3K9M2N4P5Q6R7S8T9V0W';
const context = { awsRequestId: 'r1', functionName: 'Test', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

type Traced = { name: string; annotations?: Record<string, unknown>; metadata?: unknown; fault?: boolean; error?: boolean; cause?: unknown; subsegments?: Traced[]; aws?: Record<string, unknown> };

/** Runs `fn` inside a fresh segment and returns what was recorded under it. */
async function inSegment(fn: () => Promise<unknown>): Promise<{ result: unknown; segment: Traced & { format(): string } }> {
  const segment = new AWSXRay.Segment('chat-test');
  const result = await AWSXRay.getNamespace().runPromise(async () => {
    AWSXRay.setSegment(segment);
    return fn();
  });
  // format(): the JSON document the SDK would send to the X-Ray daemon.
  return { result, segment: segment as unknown as Traced & { format(): string } };
}

const handlerSubsegment = (segment: Traced) => {
  const found = segment.subsegments?.find((s) => s.name === '## index.handler');
  expect(found, JSON.stringify(segment.subsegments?.map((s) => s.name))).toBeDefined();
  return found!;
};

const route = {
  name: 'SendMessage',
  method: 'POST',
  path: '/v1/chats/{chatId}/messages',
  handler: 'functions/http/send-message.ts',
  auth: 'user',
  access: 'participant',
  summary: 'test route',
  params: z.object({ chatId: z.string() }),
  body: z.object({ content: z.string() }),
  permissions: [],
  response: { status: 201, body: z.object({ message: z.object({ chatId: z.string(), content: z.string() }) }) },
} as const;

function httpEvent(body: unknown): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /v1/chats/{chatId}/messages',
    rawPath: `/v1/chats/${CHAT_ID}/messages`,
    rawQueryString: '',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    pathParameters: { chatId: CHAT_ID },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1', routeKey: 'POST /v1/chats/{chatId}/messages' },
  } as unknown as APIGatewayProxyEventV2;
}

describe('tracer', () => {
  it('is on (as on Lambda) for these tests', () => {
    expect(tracer?.isTracingEnabled()).toBe(true);
  });

  it('HTTP: one handler subsegment annotated with the route and chat id, never the token, content or response', async () => {
    const handler = httpHandler(route, async (request) => ({ message: { chatId: (request.params as { chatId: string }).chatId, content: (request.body as { content: string }).content } }));
    const { result, segment } = await inSegment(() => handler(httpEvent({ content: SECRET }), context));
    expect(result).toMatchObject({ statusCode: 201 });
    expect(JSON.stringify(result)).toContain(SECRET); // the response did carry the content…

    const sub = handlerSubsegment(segment);
    expect(sub.annotations).toMatchObject({ route: 'SendMessage', routeKey: 'POST /v1/chats/{chatId}/messages', chatId: CHAT_ID, ColdStart: expect.any(Boolean), Service: 'chat' });
    expect(sub.fault ?? false).toBe(false);
    const recorded = segment.format();
    expect(recorded).not.toContain(SECRET); // …the trace does not
    expect(recorded).not.toContain(TOKEN);
  });

  it('HTTP: a 4xx answer is not a fault; an unexpected error is, without the request body', async () => {
    const notFound = httpHandler(route, async () => {
      throw new NotFoundError('No such chat.');
    });
    const missing = await inSegment(() => notFound(httpEvent({ content: SECRET }), context));
    expect(missing.result).toMatchObject({ statusCode: 404 });
    const quiet = handlerSubsegment(missing.segment);
    expect(quiet.fault ?? false).toBe(false);
    expect(quiet.error ?? false).toBe(false);
    expect(quiet.cause).toBeUndefined();

    const boom = httpHandler(route, async () => {
      throw new Error('database on fire');
    });
    const failed = await inSegment(() => boom(httpEvent({ content: SECRET }), context));
    expect(failed.result).toMatchObject({ statusCode: 500 });
    const loud = handlerSubsegment(failed.segment);
    expect(loud.fault).toBe(true);
    expect(JSON.stringify(loud.cause)).toContain('database on fire');
    expect(failed.segment.format()).not.toContain(SECRET);
  });

  it('WebSocket: annotates the action route and the frame\'s chat id, not the frame; a 5xx error frame is a fault', async () => {
    const wsRoute = { name: 'WsSendMessage', routeKey: 'sendMessage', handler: 'x', summary: 's', frame: z.object({ action: z.literal('sendMessage'), chatId: z.string(), content: z.string() }), answer: z.object({ type: z.literal('ack'), ok: z.boolean() }), permissions: [], returnResponse: true } as const;
    const handler = wsHandler(wsRoute, async () => ({ ok: true }));
    const event = {
      requestContext: { routeKey: 'sendMessage', connectionId: 'c1', requestId: 'req-2' },
      body: JSON.stringify({ action: 'sendMessage', chatId: CHAT_ID, content: SECRET, requestId: 'q1' }),
    } as unknown as APIGatewayProxyWebsocketEventV2;
    const { result, segment } = await inSegment(() => handler(event, context));
    expect(JSON.parse((result as { body: string }).body)).toMatchObject({ type: 'ack', requestId: 'q1' });
    expect(handlerSubsegment(segment).annotations).toMatchObject({ route: 'WsSendMessage', routeKey: 'sendMessage', chatId: CHAT_ID });
    expect(segment.format()).not.toContain(SECRET);

    // A failure answered with an `error` frame (the connection stays open) is still a fault in the trace.
    const failing = wsHandler(wsRoute, async () => {
      throw new Error('connection table on fire');
    });
    const failed = await inSegment(() => failing(event, context));
    expect(JSON.parse((failed.result as { body: string }).body)).toMatchObject({ type: 'error', code: 'internal' });
    const sub = handlerSubsegment(failed.segment);
    expect(sub.fault).toBe(true);
    expect(JSON.stringify(sub.cause)).toContain('connection table on fire');
  });

  describe('SDK clients', () => {
    let server: Server;
    let endpoint: string;
    beforeAll(async () => {
      // Answers every DynamoDB call with an empty success, like PutItem does.
      server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'ddb-req-1' });
          res.end('{}');
        });
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((done) => server.close(() => done())));

    it('traces each DynamoDB call of the document client as a subsegment with the operation and table, not the item', async () => {
      const db = createDb({ table: 'chat-test-table', endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
      const { segment } = await inSegment(() => db.client.send(new PutCommand({ TableName: db.table, Item: { ...messageKey(CHAT_ID, 1), content: SECRET } })));
      const sub = segment.subsegments?.find((s) => s.name === 'DynamoDB');
      expect(sub, segment.format()).toBeDefined();
      expect(sub!.aws).toMatchObject({ operation: 'PutItem', table_name: 'chat-test-table', request_id: 'ddb-req-1' });
      expect(segment.format()).not.toContain(SECRET);
      db.client.destroy();
    });

    it('traced() hands back the client it was given, with the X-Ray middleware on its stack', async () => {
      const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
      const client = new DynamoDBClient({ endpoint, region: 'us-east-1' });
      expect(traced(client)).toBe(client);
      expect(client.middlewareStack.identify().some((m) => m.startsWith('XRaySDKInstrumentation'))).toBe(true);
      client.destroy();
    });
  });
});
