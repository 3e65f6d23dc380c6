/**
 * The data layer against DynamoDB Local: conditional writes and
 * transactions behave as the domain relies on, and the access patterns stay
 * within the request budgets the README promises.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { beforeAll, describe, expect, it } from 'vitest';
import * as chats from '../../functions/data/chats';
import * as connections from '../../functions/data/connections';
import * as memberships from '../../functions/data/memberships';
import * as messages from '../../functions/data/messages';
import { createRepository } from '../../functions/data/repository';
import { createNotifier } from '../../functions/lib/delivery';
import { createChat, listChats } from '../../functions/domain/chats';
import { deleteMessage, editMessage, listMessages, sendMessage } from '../../functions/domain/messages';
import type { MessageRecord, Principal } from '../../functions/domain/types';
import { dynamoContext, freshTable, type CountedDb } from '../support/dynamo';
import { prose } from '../support/prose';

let db: CountedDb;
beforeAll(async () => {
  db = await freshTable();
});

async function users(ids: string[]): Promise<Principal[]> {
  const repo = createRepository(db);
  const now = new Date().toISOString();
  return Promise.all(
    ids.map(async (id) => {
      const p: Principal = { userId: id, name: id, roles: ['user'] };
      await repo.users.touch(p, now);
      return p;
    }),
  );
}

describe('chats and memberships', () => {
  it('creates one direct chat when the same pair races', async () => {
    const [a, b] = await users(['race-a', 'race-b']);
    const { ctx } = dynamoContext(db);
    const results = await Promise.all([
      createChat(ctx, a, { type: 'direct', participantIds: [b.userId] }),
      createChat(ctx, b, { type: 'direct', participantIds: [a.userId] }),
      createChat(ctx, a, { type: 'direct', participantIds: [b.userId] }),
      createChat(ctx, b, { type: 'direct', participantIds: [a.userId] }),
    ]);
    expect(new Set(results.map((r) => r.chat.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect((await memberships.listByUser(db, a.userId)).map((m) => m.chatId)).toEqual([results[0].chat.id]);
  });

  it('writes every membership of a group larger than one transaction', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `g150-${i}`);
    const [owner] = await users(ids);
    const { ctx } = dynamoContext(db);
    const { chat } = await createChat(ctx, owner, { type: 'group', participantIds: ids.slice(1), title: 'Big' });
    const participants = await memberships.listParticipants(db, chat.id);
    expect(participants).toHaveLength(150);
    expect(participants.find((p) => p.userId === owner.userId)?.role).toBe('owner');
    const markers = await memberships.readMarkers(db, chat.id, ids);
    expect(markers.size).toBe(150);
  });

  it('moves the chat item and read markers forward only', async () => {
    const [a, b] = await users(['fw-a', 'fw-b']);
    const { ctx } = dynamoContext(db);
    const { chat } = await createChat(ctx, a, { type: 'direct', participantIds: [b.userId] });
    const preview = (seq: number) => ({ id: `m${seq}`, seq, senderId: a.userId, type: 'text' as const, content: `c${seq}`, createdAt: new Date(seq * 1000).toISOString() });
    await chats.recordMessage(db, chat.id, preview(5));
    await chats.recordMessage(db, chat.id, preview(3));
    expect(await chats.getChat(db, chat.id, true)).toMatchObject({ lastSeq: 5, lastMessage: { id: 'm5' } });
    expect(await memberships.advanceReadMarker(db, chat.id, b.userId, 4, 't')).toBe(true);
    expect(await memberships.advanceReadMarker(db, chat.id, b.userId, 2, 't')).toBe(false);
    expect(await memberships.advanceReadMarker(db, chat.id, 'not-a-member', 9, 't')).toBe(false);
    const { membership } = await chats.getChatWithMembership(db, chat.id, b.userId);
    expect(membership?.lastReadSeq).toBe(4);
  });

  it('lists 120 chats (more than one BatchGetItem) by latest activity', async () => {
    const others = Array.from({ length: 120 }, (_, i) => `many-${String(i).padStart(3, '0')}`);
    const [me, ...rest] = await users(['many-me', ...others]);
    const { ctx } = dynamoContext(db);
    const created: string[] = [];
    for (const other of rest) created.push((await createChat(ctx, other, { type: 'direct', participantIds: [me.userId] })).chat.id);
    await sendMessage(ctx, rest[10], created[10], { content: 'bump' });

    db.reset();
    const page = await listChats(ctx, me, { limit: 100 });
    expect(page.chats).toHaveLength(100);
    expect(page.chats[0].id).toBe(created[10]);
    expect(page.chats[0].unreadCount).toBe(1);
    // One Query of the user's memberships, ⌈120/100⌉ = 2 BatchGetItem for the chats.
    expect(db.count('QueryCommand')).toBe(1);
    expect(db.count('BatchGetItemCommand')).toBe(2);
    expect(db.count('ScanCommand')).toBe(0);

    const next = await listChats(ctx, me, { limit: 100, cursor: page.nextCursor! });
    expect(next.chats).toHaveLength(20);
    expect(next.nextCursor).toBeNull();
    expect(new Set([...page.chats, ...next.chats].map((c) => c.id)).size).toBe(120);
  });
});

describe('messages', () => {
  it('gives 25 concurrent sends seqs 1..25 with no gap and no duplicate', async () => {
    const [a, b] = await users(['seq-a', 'seq-b']);
    const { ctx } = dynamoContext(db);
    const { chat } = await createChat(ctx, a, { type: 'direct', participantIds: [b.userId] });
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => sendMessage(ctx, i % 2 ? a : b, chat.id, { content: `m${i}` })));
    expect(results.map((r) => r.message.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    const stored = await messages.page(db, chat.id, { limit: 100 });
    expect(stored.messages.map((m) => m.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect((await chats.getChat(db, chat.id, true))?.lastSeq).toBe(25);
  });

  it('pages history with before/after in ascending order', async () => {
    const [a, b] = await users(['page-a', 'page-b']);
    const { ctx } = dynamoContext(db);
    const { chat } = await createChat(ctx, a, { type: 'direct', participantIds: [b.userId] });
    for (let i = 0; i < 12; i++) await sendMessage(ctx, a, chat.id, { content: `m${i + 1}` });
    const seqs = async (range: Parameters<typeof messages.page>[2]) => {
      const out = await messages.page(db, chat.id, range);
      return [out.messages.map((m) => m.seq), out.hasMore];
    };
    expect(await seqs({ limit: 5 })).toEqual([[8, 9, 10, 11, 12], true]);
    expect(await seqs({ limit: 5, before: 8 })).toEqual([[3, 4, 5, 6, 7], true]);
    expect(await seqs({ limit: 5, before: 3 })).toEqual([[1, 2], false]);
    expect(await seqs({ limit: 5, after: 0 })).toEqual([[1, 2, 3, 4, 5], true]);
    expect(await seqs({ limit: 5, after: 9 })).toEqual([[10, 11, 12], false]);
    expect(await messages.latestSeq(db, chat.id)).toBe(12);
  });

  it('costs the same writes for a chat of 2 and a chat of 150', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `cost-${i}`);
    const [owner] = await users(ids);
    const { ctx } = dynamoContext(db);
    const small = await createChat(ctx, owner, { type: 'direct', participantIds: [ids[1]] });
    const big = await createChat(ctx, owner, { type: 'group', participantIds: ids.slice(1) });
    const writes = () => db.calls.filter((c) => /Put|Update|Delete|Write/.test(c.command)).length;

    db.reset();
    await sendMessage(ctx, owner, small.chat.id, { content: 'hello' });
    const smallWrites = writes();
    db.reset();
    await sendMessage(ctx, owner, big.chat.id, { content: 'hello' });
    expect(writes()).toBe(smallWrites);
    // Message, chat item, sender's read marker, per-user rate counter.
    expect(smallWrites).toBe(4);
  });
});

describe('long content', () => {
  const record = (chatId: string, content: string): MessageRecord => ({
    id: `${ulid()}-1`,
    chatId,
    seq: 1,
    senderId: 'long-a',
    type: 'text',
    content,
    reactions: {},
    createdAt: new Date().toISOString(),
  });
  const writeUnits = async (item: Record<string, unknown>) => {
    const out = await db.client.send(new PutCommand({ TableName: db.table, Item: item, ReturnConsumedCapacity: 'TOTAL' }));
    return out.ConsumedCapacity?.CapacityUnits;
  };
  const rawItem = async (chatId: string, seq: number) =>
    (await db.client.send(new GetCommand({ TableName: db.table, Key: messages.messageKey(chatId, seq), ConsistentRead: true }))).Item!;

  it('stores a 1,000-character message in one write unit instead of two', async () => {
    const content = prose(1000);
    const item = messages.toItem(record(`long-${ulid()}`, content));
    expect(item).not.toHaveProperty('content');
    expect(await writeUnits(item)).toBe(1);
    const { contentZ, ...plain } = item as typeof item & { contentZ: Uint8Array };
    expect(contentZ.length).toBeLessThan(700);
    expect(await writeUnits({ ...plain, PK: `CHAT#long-${ulid()}`, content })).toBe(2);
  });

  it('sends, pages, searches, edits and deletes compressed messages like plain ones', async () => {
    const [a, b] = await users(['long-a', 'long-b']);
    const { ctx } = dynamoContext(db);
    const { chat } = await createChat(ctx, a, { type: 'direct', participantIds: [b.userId] });
    const long = `${prose(700, 3)} — déjà vu 日本語 👋`;
    const sent = await sendMessage(ctx, a, chat.id, { content: long });
    expect(sent.message.content).toBe(long);
    expect(await rawItem(chat.id, 1)).toMatchObject({ contentZ: expect.any(Uint8Array) });
    expect((await messages.page(db, chat.id, { limit: 10 })).messages[0].content).toBe(long);
    expect((await listMessages(ctx, b, chat.id, { q: 'PHARMACY', limit: 50 })).messages.map((m) => m.seq)).toEqual([1]);

    // An edit crossing the threshold changes the stored form both ways; exactly one form is ever present.
    await editMessage(ctx, a, chat.id, sent.message.id, 'short now');
    expect(await rawItem(chat.id, 1)).toMatchObject({ content: 'short now' });
    expect(await rawItem(chat.id, 1)).not.toHaveProperty('contentZ');
    const edited = await editMessage(ctx, a, chat.id, sent.message.id, long);
    expect(edited.message.content).toBe(long);
    expect(await rawItem(chat.id, 1)).not.toHaveProperty('content');

    await deleteMessage(ctx, a, chat.id, sent.message.id);
    const deleted = await rawItem(chat.id, 1);
    expect(deleted).not.toHaveProperty('contentZ');
    expect(deleted.content).toBe('');
  });

  it('keeps content under the threshold as plain text', () => {
    expect(messages.encodeContent('hello')).toEqual({ content: 'hello' });
    expect(messages.encodeContent(prose(messages.COMPRESS_FROM_BYTES - 1))).toHaveProperty('content');
    expect(messages.encodeContent(prose(messages.COMPRESS_FROM_BYTES))).toHaveProperty('contentZ');
  });
});

describe('connections and presence', () => {
  it('records, reads and forgets a connection and its presence entry', async () => {
    const now = Math.floor(Date.now() / 1000);
    await connections.putConnection(db, { connectionId: 'c1=', userId: 'p-a', name: 'A', roles: ['user'], connectedAt: 't', expiresAt: now + 60 });
    await connections.addToPresence(db, 'p-a', 'c1=', now + 60);
    const second = await connections.addToPresence(db, 'p-a', 'c2/', now + 60);
    expect(second.connections.map((c) => c.connectionId).sort()).toEqual(['c1=', 'c2/']);
    expect(await connections.getConnection(db, 'c1=')).toMatchObject({ userId: 'p-a', expiresAt: now + 60 });
    expect(await connections.deleteConnection(db, 'c1=')).toMatchObject({ userId: 'p-a' });
    expect(await connections.deleteConnection(db, 'c1=')).toBeUndefined();
    const after = await connections.removeFromPresence(db, 'p-a', 'c1=', '2026-01-01T00:00:00.000Z');
    expect(after).toMatchObject({ lastSeenAt: '2026-01-01T00:00:00.000Z', connections: [{ connectionId: 'c2/' }] });
  });

  it('prunes expired presence entries when the user connects again', async () => {
    const now = Math.floor(Date.now() / 1000);
    await connections.addToPresence(db, 'p-b', 'old', now - 10);
    const presence = await connections.addToPresence(db, 'p-b', 'new', now + 60);
    expect(presence.connections.map((c) => c.connectionId)).toEqual(['new']);
    const stored = await connections.getPresence(db, ['p-b']);
    expect(stored.get('p-b')!.connections.map((c) => c.connectionId)).toEqual(['new']);
  });

  it('finds the connections of 250 participants in 1 + ⌈250/100⌉ requests, without a scan', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `fan-${i}`);
    const [owner] = await users(ids);
    const { ctx } = dynamoContext(db);
    const { chat } = await createChat(ctx, owner, { type: 'group', participantIds: ids.slice(1) });
    const queued: unknown[] = [];
    const options = { repo: createRepository(db), endpoint: 'http://127.0.0.1:9', context: () => ctx, offline: ctx.offline };
    const inline = createNotifier({ ...options, inlineMax: 1000 });
    const event = { type: 'typing', chatId: chat.id, userId: owner.userId, isTyping: true } as const;
    db.reset();
    await inline.toChat({ id: chat.id, participantCount: 250 }, event);
    expect(db.count('QueryCommand')).toBe(1);
    expect(db.count('BatchGetItemCommand')).toBe(3);
    expect(db.count()).toBe(4);

    // Above the threshold the request only enqueues (no read); the worker then does the same 1 + 3 requests.
    const queuedNotifier = createNotifier({ ...options, inlineMax: 50, queue: { send: async (job) => void queued.push(job) } });
    db.reset();
    await queuedNotifier.toChat({ id: chat.id, participantCount: 250 }, event);
    expect(db.count()).toBe(0);
    expect(queued).toEqual([{ chatId: chat.id, event }]);
    await queuedNotifier.deliver(queued[0] as never);
    expect(db.count()).toBe(4);
  });
});
