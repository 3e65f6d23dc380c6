/**
 * End to end through `npm start`'s stack: real HTTP requests and real
 * WebSocket clients against the local gateway, which invokes the same
 * handlers `cdk deploy` ships, on DynamoDB Local.
 */
import { describe, expect, inject, it } from 'vitest';
import { createDb } from '../../functions/data/client';
import * as connections from '../../functions/data/connections';
import { ServerEvents } from '../../functions/schemas';
import { call, client, uniqueId } from '../support/api';
import { mintToken } from '../support/stack';
import { connect, connectExpectRefusal } from '../support/ws-client';

const stack = inject('stack');
const db = createDb({ table: stack.tableName, endpoint: stack.dynamoEndpoint, region: stack.region, credentials: stack.credentials });

const isType = (type: string, chatId?: string) => (f: any) => f?.type === type && (chatId === undefined || f.chatId === chatId || f.chat?.id === chatId);

async function directChat(a: Awaited<ReturnType<typeof client>>, b: Awaited<ReturnType<typeof client>>) {
  const res = await a.post('/v1/chats', { type: 'direct', participantIds: [b.id] });
  expect(res.status).toBe(201);
  return res.body.chat.id as string;
}

describe('health and identity', () => {
  it('answers /health without a token, and ?deep=1 checks DynamoDB', async () => {
    const shallow = await call(stack, 'GET', '/health');
    expect(shallow.status).toBe(200);
    expect(shallow.body).toMatchObject({ status: 'ok', version: expect.any(String), timestamp: expect.any(String) });
    const deep = await call(stack, 'GET', '/health?deep=1');
    expect(deep.status).toBe(200);
    expect(deep.body.checks).toEqual({ dynamodb: 'ok' });
  });

  it('publishes the OpenAPI document of every route without a token', async () => {
    const res = await call(stack, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toContain('/v1/chats/{chatId}/messages');
    const ws = await call(stack, 'GET', '/asyncapi.json');
    expect(ws.status).toBe(200);
    expect(ws.body.asyncapi).toBe('3.0.0');
    expect(Object.keys(ws.body.operations)).toContain('sendMessage');
    const docs = await call(stack, 'GET', '/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toContain('text/html');
    expect(docs.body).toContain('data-url="openapi.json"');
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
    const me = await ada.get('/v1/me');
    expect(me.body).toEqual({ user: { id: ada.id, name: 'Ada Lovelace', roles: ['user', 'support'] } });

    const newcomer = uniqueId('new');
    expect((await ada.put(`/v1/users/${newcomer}`, { name: 'New Person' })).status).toBe(403);
    const admin = await client(uniqueId('admin'), { roles: ['admin'] });
    const put = await admin.put(`/v1/users/${newcomer}`, { name: 'New Person', roles: ['support'] });
    expect(put.status).toBe(200);
    expect(put.body.user).toMatchObject({ id: newcomer, name: 'New Person', roles: ['user', 'support'] });
    expect((await admin.put(`/v1/users/${newcomer}`, { roles: ['admin'] })).status).toBe(400);

    const profile = await ada.get(`/v1/users/${newcomer}`);
    expect(profile.body.user).toMatchObject({ id: newcomer, name: 'New Person', online: false, lastSeenAt: null });
    expect((await ada.get(`/v1/users/${uniqueId('ghost')}`)).status).toBe(404);
    // A provisioned user can be added to chats before their first sign-in.
    expect((await ada.post('/v1/chats', { type: 'direct', participantIds: [newcomer] })).status).toBe(201);
  });
});

describe('chatting', () => {
  it('lets two users chat over WebSocket and HTTP, every device of each participant getting every event', async () => {
    const alice = await client(uniqueId('alice'));
    const bob = await client(uniqueId('bob'));
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

    const reply = await bob.post(`/v1/chats/${chatId}/messages`, { content: 'Hi Alice' });
    expect(reply.status).toBe(201);
    expect(reply.body.message).toMatchObject({ seq: 2, senderId: bob.id });
    expect((await aliceWs.next(isType('message.new', chatId))).message.id).toBe(reply.body.message.id);

    const read = await aliceWs.request('markRead', { chatId });
    expect(read).toMatchObject({ type: 'ack', lastReadSeq: 2, unreadCount: 0 });
    // Bob's reply read Alice's message: his marker moved, which is a read receipt too.
    expect(await aliceWs.next((f) => isType('messages.read', chatId)(f) && f.userId === bob.id)).toMatchObject({ lastReadSeq: 2 });
    const receipt = await bobWs.next((f) => isType('messages.read', chatId)(f) && f.userId === alice.id);
    expect(receipt).toMatchObject({ chatId, userId: alice.id, lastReadSeq: 2, readAt: expect.any(String) });

    // Every frame received matches its documented schema (the AsyncAPI document is generated from these).
    for (const frame of [...aliceWs.received, ...bobWs.received]) {
      const schema = ServerEvents[frame.type as keyof typeof ServerEvents];
      expect(schema, `undocumented event ${frame.type}`).toBeDefined();
      const parsed = schema.safeParse(frame);
      expect(parsed.success, `${frame.type}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }

    const history = await bob.get(`/v1/chats/${chatId}/messages`);
    expect(history.body.messages.map((m: any) => [m.seq, m.content, m.readBy])).toEqual([
      [1, 'Hi Bob!', 1],
      [2, 'Hi Alice', 1],
    ]);
    await Promise.all([aliceWs.close(), bobWs.close()]);
  });

  it('keeps unread counts exact through sends and read markers', async () => {
    const alice = await client(uniqueId('alice'));
    const bob = await client(uniqueId('bob'));
    const chatId = await directChat(alice, bob);
    for (const content of ['one', 'two', 'three']) expect((await alice.post(`/v1/chats/${chatId}/messages`, { content })).status).toBe(201);

    const listed = await bob.get('/v1/chats');
    expect(listed.body.chats[0]).toMatchObject({ id: chatId, unreadCount: 3, lastSeq: 3, lastReadSeq: 0, lastMessage: { content: 'three', seq: 3 } });
    expect((await alice.get('/v1/chats')).body.chats[0]).toMatchObject({ id: chatId, unreadCount: 0, lastReadSeq: 3 });
    expect((await bob.get('/v1/stats')).body).toEqual({ chats: 1, unreadChats: 1, unreadMessages: 3 });

    expect((await bob.post(`/v1/chats/${chatId}/read`, { upToSeq: 2 })).body).toEqual({ lastReadSeq: 2, unreadCount: 1 });
    expect((await bob.post(`/v1/chats/${chatId}/read`, { upToSeq: 1 })).body).toEqual({ lastReadSeq: 2, unreadCount: 1 });
    // Bob replies: his own message moves his marker, so nothing of Alice's stays unread behind it.
    await bob.post(`/v1/chats/${chatId}/messages`, { content: 'four' });
    expect((await bob.get(`/v1/chats/${chatId}`)).body.chat).toMatchObject({ unreadCount: 0, lastReadSeq: 4 });
    expect((await alice.get('/v1/stats')).body).toEqual({ chats: 1, unreadChats: 1, unreadMessages: 1 });
    // An empty body means "up to the latest".
    expect((await call(stack, 'POST', `/v1/chats/${chatId}/read`, { token: alice.token })).body).toEqual({ lastReadSeq: 4, unreadCount: 0 });
  });

  it('pages messages with before/after and chats with a cursor', async () => {
    const alice = await client(uniqueId('alice'));
    const bob = await client(uniqueId('bob'));
    const chatId = await directChat(alice, bob);
    // Two senders: each stays under the 20 messages per minute limit.
    for (let i = 1; i <= 25; i++) expect((await (i % 2 ? alice : bob).post(`/v1/chats/${chatId}/messages`, { content: `m${i}` })).status).toBe(201);

    const seqs = (res: any) => res.body.messages.map((m: any) => m.seq);
    const latest = await bob.get(`/v1/chats/${chatId}/messages?limit=10`);
    expect(seqs(latest)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(latest.body).toMatchObject({ hasMore: true, nextCursor: '16' });
    const older = await bob.get(`/v1/chats/${chatId}/messages?limit=10&before=${latest.body.nextCursor}`);
    expect(seqs(older)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const catchUp = await bob.get(`/v1/chats/${chatId}/messages?after=20`);
    expect(seqs(catchUp)).toEqual([21, 22, 23, 24, 25]);
    expect(catchUp.body).toMatchObject({ hasMore: false, nextCursor: null });
    expect((await bob.get(`/v1/chats/${chatId}/messages?limit=500`)).status).toBe(400);
    expect((await bob.get(`/v1/chats/${chatId}/messages?before=5&after=1`)).status).toBe(400);

    const carol = await client(uniqueId('carol'));
    const ids: string[] = [];
    for (const other of [alice, bob]) ids.push(await directChat(carol, other));
    const group = await carol.post('/v1/chats', { type: 'group', participantIds: [alice.id, bob.id], title: 'Trio' });
    expect(group.status).toBe(201);
    ids.push(group.body.chat.id);
    await alice.post(`/v1/chats/${ids[0]}/messages`, { content: 'bump' });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await carol.get(`/v1/chats?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.chats.map((c: any) => c.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([ids[0], ids[2], ids[1]]);
  });

  it('creates a direct chat once per pair (201, then 200 with the same chat)', async () => {
    const alice = await client(uniqueId('alice'));
    const bob = await client(uniqueId('bob'));
    const first = await alice.post('/v1/chats', { type: 'direct', participantIds: [bob.id] });
    const racing = await Promise.all([
      bob.post('/v1/chats', { type: 'direct', participantIds: [alice.id] }),
      alice.post('/v1/chats', { type: 'direct', participantIds: [bob.id] }),
    ]);
    expect(first.status).toBe(201);
    for (const again of racing) {
      expect(again.status).toBe(200);
      expect(again.body.chat.id).toBe(first.body.chat.id);
    }
    expect((await alice.post('/v1/chats', { type: 'direct', participantIds: [uniqueId('ghost')] })).status).toBe(404);
  });
});

describe('delivery', () => {
  it('keeps delivering when one of a user\'s connections drops, and removes connections that are gone (410)', async () => {
    const alice = await client(uniqueId('alice'));
    const bob = await client(uniqueId('bob'));
    const chatId = await directChat(alice, bob);
    const [phone, laptop] = await Promise.all([bob.ws(), bob.ws()]);
    phone.ws.terminate();
    await phone.closed;

    // A connection API Gateway forgot without a `$disconnect` (the record still says it is open).
    const ghost = `ghost${Date.now()}=`;
    const expiresAt = Math.floor(Date.now() / 1000) + 600;
    const connectedAt = new Date(Date.now() - 5 * 60_000).toISOString();
    await connections.putConnection(db, { connectionId: ghost, userId: bob.id, name: bob.id, roles: ['user'], connectedAt, expiresAt });
    await connections.addToPresence(db, bob.id, ghost, expiresAt);

    const sent = await alice.post(`/v1/chats/${chatId}/messages`, { content: 'still there?' });
    expect(sent.status).toBe(201);
    expect((await laptop.next(isType('message.new', chatId))).message.id).toBe(sent.body.message.id);

    expect(await connections.getConnection(db, ghost)).toBeUndefined();
    const presence = (await connections.getPresence(db, [bob.id])).get(bob.id)!;
    expect(presence.connections.map((c) => c.connectionId)).not.toContain(ghost);
    await laptop.close();
  });

  it('relays typing to the other participants only, without storing it', async () => {
    const alice = await client(uniqueId('alice'));
    const bob = await client(uniqueId('bob'));
    const chatId = await directChat(alice, bob);
    const [aliceWs, bobWs] = await Promise.all([alice.ws(), bob.ws()]);
    const typingAck = await aliceWs.request('typing', { chatId, isTyping: true });
    expect(typingAck, JSON.stringify(typingAck)).toMatchObject({ type: 'ack' });
    expect(await bobWs.next(isType('typing', chatId))).toEqual({ type: 'typing', chatId, userId: alice.id, isTyping: true });
    expect(await aliceWs.quiet(isType('typing', chatId), 300)).toBe(true);
    expect(await aliceWs.request('typing', { chatId, isTyping: 'yes' })).toMatchObject({ type: 'error', code: 'bad_request' });
    expect((await bob.get(`/v1/chats/${chatId}`)).body.chat.lastSeq).toBe(0);
    await Promise.all([aliceWs.close(), bobWs.close()]);
  });

  it('shows a user online while connected and records lastSeenAt after', async () => {
    const alice = await client(uniqueId('alice'));
    const bob = await client(uniqueId('bob'));
    const chatId = await directChat(alice, bob);
    const ws = await bob.ws();
    expect((await alice.get(`/v1/users/${bob.id}`)).body.user.online).toBe(true);
    const chat = await alice.get(`/v1/chats/${chatId}`);
    expect(chat.body.chat.participants.find((p: any) => p.userId === bob.id)).toMatchObject({ online: true, role: 'member', name: bob.id });
    await ws.close();
    await expect.poll(async () => (await alice.get(`/v1/users/${bob.id}`)).body.user.online).toBe(false);
    expect((await alice.get(`/v1/users/${bob.id}`)).body.user.lastSeenAt).toEqual(expect.any(String));
  });
});

describe('access and bad input', () => {
  it('answers 404 to a non-participant on every chat route, HTTP and WebSocket, exactly as for a missing chat', async () => {
    const alice = await client(uniqueId('alice'));
    const bob = await client(uniqueId('bob'));
    const mallory = await client(uniqueId('mallory'));
    const chatId = await directChat(alice, bob);
    await alice.post(`/v1/chats/${chatId}/messages`, { content: 'secret' });
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
    expect((await alice.get(`/v1/chats/${chatId}/messages`)).body.messages).toHaveLength(1);

    const admin = await client(uniqueId('admin'), { roles: ['admin'] });
    expect((await admin.get(`/v1/chats/${chatId}`)).status).toBe(200);
    expect((await admin.get(`/v1/chats/${chatId}/messages`)).body.messages[0].content).toBe('secret');
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

