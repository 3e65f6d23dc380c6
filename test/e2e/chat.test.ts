/**
 * End to end through `npm start`'s stack: the client SDK (and, for what it
 * would never send or cannot show, raw HTTP requests and WebSocket frames)
 * against the local gateway, which invokes the same handlers `cdk deploy`
 * ships, on DynamoDB Local.
 */
import { describe, expect, inject, it } from 'vitest';
import { createDb } from '../../functions/data/client';
import { connectionStore } from '../../functions/data/connections';
import { ServerEvents } from '../../functions/schemas';
import { call, client, sdkClient, uniqueId, type TestUser } from '../support/api';
import { record, withStatus } from '../support/sdk-events';
import { mintToken } from '../../local/launcher';
import { connect, connectExpectRefusal } from '../support/ws-client';

const stack = inject('stack');
const db = createDb({ table: stack.tableName, endpoint: stack.dynamoEndpoint, region: stack.region, credentials: stack.credentials });
/** No token at all: the public routes. */
const anonymous = sdkClient();

const isType = (type: string, chatId?: string) => (f: any) => f?.type === type && (chatId === undefined || f.chatId === chatId || f.chat?.id === chatId);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function directChat(a: TestUser, b: TestUser) {
  return (await a.api.createChat({ type: 'direct', participantIds: [b.id] })).chat.id;
}

describe('health and identity', () => {
  it('answers /health without a token, and ?deep=1 checks DynamoDB', async () => {
    expect(await anonymous.health()).toMatchObject({ status: 'ok', version: expect.any(String), timestamp: expect.any(String) });
    expect((await anonymous.health({ deep: '1' })).checks).toEqual({ dynamodb: 'ok' });
  });

  it('publishes the OpenAPI document of every route without a token', async () => {
    const openApi = await anonymous.openApi();
    expect(openApi.openapi).toBe('3.1.0');
    expect(Object.keys(openApi.paths)).toContain('/v1/chats/{chatId}/messages');
    const asyncApi = await anonymous.asyncApi();
    expect(asyncApi.asyncapi).toBe('3.0.0');
    expect(Object.keys(asyncApi.operations as object)).toContain('sendMessage');
    // The servers are the stack's as a client reaches it: plain http and ws locally, the WebSocket at /ws.
    expect(openApi.servers).toEqual([{ url: stack.baseUrl }]);
    const { host, pathname } = new URL(stack.wsUrl);
    expect(asyncApi.servers).toEqual({ local: { host, pathname, protocol: 'ws', security: [{ $ref: '#/components/securitySchemes/token' }] } });
    // Raw: the content type is not something the SDK answers.
    const docs = await call(stack, 'GET', '/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toContain('text/html');
    expect(docs.body).toContain('spec-url="openapi.json"');
  });

  it('refuses missing, malformed and expired tokens with a 401 problem', async () => {
    const expired = await mintToken(stack.baseUrl, 'late', { expiresIn: -60 });
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: `Bearer ${expired}` }, { authorization: 'Basic abc' }] as Record<string, string>[]) {
      const res = await call(stack, 'GET', '/v1/me', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 401, code: 'unauthorized', title: 'Unauthorized', type: expect.any(String), detail: expect.any(String) });
    }
  });

  it('answers the caller\'s profile and public profiles; only admins provision users', async () => {
    const ada = await client(uniqueId('ada'), { name: 'Ada Lovelace', roles: ['support'] });
    expect(await ada.api.getMe()).toEqual({ user: { id: ada.id, name: 'Ada Lovelace', roles: ['user', 'support'] } });

    const newcomer = uniqueId('new');
    await expect(ada.api.putUser(newcomer, { name: 'New Person' })).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    const admin = await client(uniqueId('admin'), { roles: ['admin'] });
    const put = await admin.api.putUser(newcomer, { name: 'New Person', roles: ['support'] });
    expect(put.user).toMatchObject({ id: newcomer, name: 'New Person', roles: ['user', 'support'] });
    // Raw: the SDK's types require a name.
    expect((await admin.put(`/v1/users/${newcomer}`, { roles: ['admin'] })).status).toBe(400);

    // SPEC §4: someone who shares no chat with them sees the name only.
    expect((await ada.api.getUser(newcomer)).user).toEqual({ id: newcomer, name: 'New Person' });
    await expect(ada.api.getUser(uniqueId('ghost'))).rejects.toMatchObject({ status: 404, code: 'not_found' });
    // A provisioned user can be added to chats before their first sign-in.
    await expect(ada.api.createChat({ type: 'direct', participantIds: [newcomer] })).resolves.toMatchObject({ chat: { type: 'direct' } });
    expect((await ada.api.getUser(newcomer)).user).toMatchObject({ id: newcomer, name: 'New Person', roles: ['user', 'support'], online: false, lastSeenAt: null });
  });
});

describe('chatting', () => {
  it('lets two users chat over WebSocket and HTTP, every device of each participant getting every event', async () => {
    const alice = await client(uniqueId('alice'));
    const bob = await client(uniqueId('bob'));
    // Raw WebSockets: the test checks every frame on the wire against its documented schema, acks included.
    const [aliceWs, bobWs] = await Promise.all([alice.ws(), bob.ws()]);

    const chatId = await directChat(alice, bob);
    const created = await bobWs.next(isType('chat.created', chatId));
    expect(created.chat).toMatchObject({ id: chatId, type: 'direct', unreadCount: 0 });

    const ack = await aliceWs.request('sendMessage', { chatId, content: 'Hi Bob!' });
    expect(ack).toMatchObject({ type: 'ack', message: { chatId, seq: 1, senderId: alice.id, content: 'Hi Bob!' } });
    const toBob = await bobWs.next(isType('message.new', chatId));
    expect(toBob.message).toEqual(ack.message);
    // The actor's own connections get it too, so their other devices stay in sync.
    expect((await aliceWs.next(isType('message.new', chatId))).message.id).toBe(ack.message.id);

    const reply = await bob.api.sendMessage(chatId, { content: 'Hi Alice' });
    expect(reply.message).toMatchObject({ seq: 2, senderId: bob.id });
    expect((await aliceWs.next(isType('message.new', chatId))).message.id).toBe(reply.message.id);

    const read = await aliceWs.request('markRead', { chatId });
    expect(read).toMatchObject({ type: 'ack', lastReadSeq: 2, unreadCount: 0 });
    // Bob's reply moved his marker to it, but no messages.read is sent for a send (SPEC §6): message.new implies it.
    expect(aliceWs.received.some((f) => isType('messages.read', chatId)(f) && f.userId === bob.id)).toBe(false);
    const receipt = await bobWs.next((f) => isType('messages.read', chatId)(f) && f.userId === alice.id);
    expect(receipt).toMatchObject({ chatId, userId: alice.id, lastReadSeq: 2, readAt: expect.any(String) });

    // Every frame received matches its documented schema (the AsyncAPI document is generated from these).
    for (const frame of [...aliceWs.received, ...bobWs.received]) {
      const schema = ServerEvents[frame.type as keyof typeof ServerEvents];
      expect(schema, `undocumented event ${frame.type}`).toBeDefined();
      const parsed = schema.safeParse(frame);
      expect(parsed.success, `${frame.type}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }

    const history = await bob.api.listMessages(chatId);
    expect(history.messages.map((m) => [m.seq, m.content, m.readBy])).toEqual([
      [1, 'Hi Bob!', 1],
      [2, 'Hi Alice', 1],
    ]);
    await Promise.all([aliceWs.close(), bobWs.close()]);
  });

  it('keeps unread counts exact through sends and read markers', async () => {
    const alice = await client(uniqueId('alice'));
    const bob = await client(uniqueId('bob'));
    const chatId = await directChat(alice, bob);
    for (const content of ['one', 'two', 'three']) await alice.api.sendMessage(chatId, { content });

    const listed = await bob.api.listChats();
    expect(listed.chats[0]).toMatchObject({ id: chatId, unreadCount: 3, lastSeq: 3, lastReadSeq: 0, lastMessage: { content: 'three', seq: 3 } });
    expect((await alice.api.listChats()).chats[0]).toMatchObject({ id: chatId, unreadCount: 0, lastReadSeq: 3 });
    expect(await bob.api.getStats()).toEqual({ chats: 1, unreadChats: 1, unreadMessages: 3, unreadMentions: 0 });

    expect(await bob.api.markRead(chatId, { upToSeq: 2 })).toEqual({ lastReadSeq: 2, unreadCount: 1 });
    expect(await bob.api.markRead(chatId, { upToSeq: 1 })).toEqual({ lastReadSeq: 2, unreadCount: 1 });
    // Bob replies: his own message moves his marker, so nothing of Alice's stays unread behind it.
    await bob.api.sendMessage(chatId, { content: 'four' });
    expect((await bob.api.getChat(chatId)).chat).toMatchObject({ unreadCount: 0, lastReadSeq: 4 });
    expect(await alice.api.getStats()).toEqual({ chats: 1, unreadChats: 1, unreadMessages: 1, unreadMentions: 0 });
    // No body at all means "up to the latest" (raw: the SDK always sends `{}`).
    expect((await call(stack, 'POST', `/v1/chats/${chatId}/read`, { token: alice.token })).body).toEqual({ lastReadSeq: 4, unreadCount: 0 });
  });

  it('pages messages with before/after and chats with a cursor', async () => {
    const alice = await client(uniqueId('alice'));
    const bob = await client(uniqueId('bob'));
    const chatId = await directChat(alice, bob);
    // Two senders: each stays under the 20 messages per minute limit.
    for (let i = 1; i <= 25; i++) await (i % 2 ? alice : bob).api.sendMessage(chatId, { content: `m${i}` });

    const seqs = (page: { messages: { seq: number }[] }) => page.messages.map((m) => m.seq);
    const latest = await bob.api.listMessages(chatId, { limit: 10 });
    expect(seqs(latest)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(latest).toMatchObject({ hasMore: true, nextCursor: '16' });
    const older = await bob.api.listMessages(chatId, { limit: 10, before: Number(latest.nextCursor) });
    expect(seqs(older)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const catchUp = await bob.api.listMessages(chatId, { after: 20 });
    expect(seqs(catchUp)).toEqual([21, 22, 23, 24, 25]);
    expect(catchUp).toMatchObject({ hasMore: false, nextCursor: null });
    await expect(bob.api.listMessages(chatId, { limit: 500 })).rejects.toMatchObject({ status: 400, code: 'bad_request' });
    await expect(bob.api.listMessages(chatId, { before: 5, after: 1 })).rejects.toMatchObject({ status: 400, code: 'bad_request' });

    const carol = await client(uniqueId('carol'));
    const ids: string[] = [];
    for (const other of [alice, bob]) ids.push(await directChat(carol, other));
    const group = await carol.api.createChat({ type: 'group', participantIds: [alice.id, bob.id], title: 'Trio' });
    ids.push(group.chat.id);
    await alice.api.sendMessage(ids[0]!, { content: 'bump' });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await carol.api.listChats({ limit: 2, cursor });
      seen.push(...page.chats.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([ids[0], ids[2], ids[1]]);
  });

  it('creates a direct chat once per pair (201, then 200 with the same chat)', async () => {
    const alice = await client(uniqueId('alice'));
    const bob = await client(uniqueId('bob'));
    const first = await withStatus(alice, (api) => api.createChat({ type: 'direct', participantIds: [bob.id] }));
    const racing = await Promise.all([
      withStatus(bob, (api) => api.createChat({ type: 'direct', participantIds: [alice.id] })),
      withStatus(alice, (api) => api.createChat({ type: 'direct', participantIds: [bob.id] })),
    ]);
    expect(first.status).toBe(201);
    for (const again of racing) {
      expect(again.status).toBe(200);
      expect(again.body.chat.id).toBe(first.body.chat.id);
    }
    await expect(alice.api.createChat({ type: 'direct', participantIds: [uniqueId('ghost')] })).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });
});

describe('delivery', () => {
  it('keeps delivering when one of a user\'s connections drops, and removes connections that are gone (410)', async () => {
    const alice = await client(uniqueId('alice'));
    const bob = await client(uniqueId('bob'));
    const chatId = await directChat(alice, bob);
    // The phone is a raw socket: it vanishes without a close frame, which the SDK never does.
    const [phone, laptop] = await Promise.all([bob.ws(), bob.socket()]);
    const laptopEvents = record(laptop);
    try {
      phone.ws.terminate();
      await phone.closed;

      // A connection API Gateway forgot without a `$disconnect` (the record still says it is open).
      const ghost = `ghost${Date.now()}=`;
      const expiresAt = Math.floor(Date.now() / 1000) + 600;
      const connectedAt = new Date(Date.now() - 5 * 60_000).toISOString();
      await connectionStore(db).put({ connectionId: ghost, userId: bob.id, name: bob.id, roles: ['user'], connectedAt, expiresAt });
      await connectionStore(db).addToPresence(bob.id, ghost, expiresAt);

      const sent = await alice.api.sendMessage(chatId, { content: 'still there?' });
      expect((await laptopEvents.next('message.new', (e) => e.chatId === chatId)).message.id).toBe(sent.message.id);

      expect(await connectionStore(db).get(ghost)).toBeUndefined();
      const presence = (await connectionStore(db).getPresence([bob.id])).get(bob.id)!;
      expect(presence.connections.map((c) => c.connectionId)).not.toContain(ghost);
    } finally {
      laptop.close();
    }
  });

  it('relays typing to the other participants only, without storing it', async () => {
    const alice = await client(uniqueId('alice'));
    const bob = await client(uniqueId('bob'));
    const chatId = await directChat(alice, bob);
    const [aliceSocket, bobSocket] = await Promise.all([alice.socket(), bob.socket()]);
    const [aliceEvents, bobEvents] = [record(aliceSocket), record(bobSocket)];
    try {
      // `request` rather than the throttled `typing()`, to see the ack.
      expect(await aliceSocket.request('typing', { chatId, isTyping: true })).toMatchObject({ type: 'ack' });
      expect(await bobEvents.next('typing', (e) => e.chatId === chatId)).toEqual({ type: 'typing', chatId, userId: alice.id, isTyping: true });
      await sleep(300);
      expect(aliceEvents.of('typing')).toEqual([]);
      // Raw: a frame the SDK's types would not let through.
      const aliceWs = await alice.ws();
      expect(await aliceWs.request('typing', { chatId, isTyping: 'yes' })).toMatchObject({ type: 'error', code: 'bad_request' });
      await aliceWs.close();
      expect((await bob.api.getChat(chatId)).chat.lastSeq).toBe(0);
    } finally {
      aliceSocket.close();
      bobSocket.close();
    }
  });

  it('shows a user online while connected and records lastSeenAt after', async () => {
    const alice = await client(uniqueId('alice'));
    const bob = await client(uniqueId('bob'));
    const chatId = await directChat(alice, bob);
    const socket = await bob.socket();
    expect((await alice.api.getUser(bob.id)).user.online).toBe(true);
    const { chat } = await alice.api.getChat(chatId);
    expect(chat.participants?.find((p) => p.userId === bob.id)).toMatchObject({ online: true, role: 'member', name: bob.id });
    socket.close();
    await expect.poll(async () => (await alice.api.getUser(bob.id)).user.online).toBe(false);
    expect((await alice.api.getUser(bob.id)).user.lastSeenAt).toEqual(expect.any(String));
  });
});

describe('access and bad input', () => {
  it('answers 404 to a non-participant on every chat route, HTTP and WebSocket, exactly as for a missing chat', async () => {
    const alice = await client(uniqueId('alice'));
    const bob = await client(uniqueId('bob'));
    const mallory = await client(uniqueId('mallory'));
    const chatId = await directChat(alice, bob);
    await alice.api.sendMessage(chatId, { content: 'secret' });
    // Raw: the whole problem bodies must be identical, so nothing tells a hidden chat from a missing one.
    const missing = await mallory.get('/v1/chats/01ZZZZZZZZZZZZZZZZZZZZZZZZ');

    for (const res of [
      await mallory.get(`/v1/chats/${chatId}`),
      await mallory.get(`/v1/chats/${chatId}/messages`),
      await mallory.post(`/v1/chats/${chatId}/messages`, { content: 'let me in' }),
      await mallory.post(`/v1/chats/${chatId}/read`, {}),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual(missing.body.instance ? { ...missing.body, instance: res.body.instance } : missing.body);
    }
    const ws = await mallory.ws();
    expect(await ws.request('sendMessage', { chatId, content: 'x' })).toMatchObject({ type: 'error', code: 'not_found' });
    expect(await ws.request('markRead', { chatId })).toMatchObject({ type: 'error', code: 'not_found' });
    expect(await ws.request('typing', { chatId, isTyping: true })).toMatchObject({ type: 'error', code: 'not_found' });
    await ws.close();
    expect((await alice.api.listMessages(chatId)).messages).toHaveLength(1);

    const admin = await client(uniqueId('admin'), { roles: ['admin'] });
    expect((await admin.api.getChat(chatId)).chat.id).toBe(chatId);
    expect((await admin.api.listMessages(chatId)).messages[0]!.content).toBe('secret');
  });

  it('answers bad bodies with 400 problems naming the field', async () => {
    const alice = await client(uniqueId('alice'));
    const bad = await alice.post('/v1/chats', { type: 'direct', participantIds: 'bob' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body).toMatchObject({ code: 'bad_request', errors: [expect.objectContaining({ path: 'body.participantIds' })] });
    const malformed = await call(stack, 'POST', '/v1/chats', { token: alice.token, body: '{"type":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('bad_request');
    const wrongType = await call(stack, 'POST', '/v1/chats', { token: alice.token, body: 'type=direct', headers: { 'content-type': 'text/plain' } });
    expect(wrongType.status).toBe(415);
    expect((await alice.get('/v1/chats?limit=0')).status).toBe(400);
    expect((await alice.get('/v1/chats/not%23valid')).status).toBe(400);
  });

  it('refuses WebSocket upgrades without a valid token and keeps connections open after bad frames', async () => {
    expect(await connectExpectRefusal(stack.wsUrl)).toBe(401);
    expect(await connectExpectRefusal(`${stack.wsUrl}?token=garbage`)).toBe(401);

    const alice = await client(uniqueId('alice'));
    const ws = await connect(stack.wsUrl, alice.token);
    ws.send('not json');
    expect(await ws.next((f) => f?.type === 'error')).toMatchObject({ code: 'bad_request' });
    expect(await ws.request('fly', {})).toMatchObject({ type: 'error', code: 'bad_request', message: expect.stringContaining('fly') });
    expect(await ws.request('sendMessage', { content: 'no chat' })).toMatchObject({ type: 'error', code: 'bad_request' });
    expect(await ws.request('ping')).toMatchObject({ type: 'pong' });
    await ws.close();
  });
});

