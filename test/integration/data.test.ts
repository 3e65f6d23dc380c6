/**
 * The data layer against DynamoDB Local: conditional writes and
 * transactions behave as the domain relies on, and the access patterns stay
 * within the request budgets the README promises.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { beforeAll, describe, expect, it } from 'vitest';
import { chatKey, messageKey } from '../../functions/data/keys';
import * as messages from '../../functions/data/messages';
import { createRepository } from '../../functions/data/repository';
import { createNotifier } from '../../functions/lib/delivery';
import { createChat, listChats } from '../../functions/domain/chats';
import { deleteMessage, editMessage, listMessages, sendMessage } from '../../functions/domain/messages';
import type { Repository } from '../../functions/domain/ports';
import type { MessageRecord } from '../../functions/domain/types';
import { dynamoContext, freshTable, registerUsers, type CountedDb } from '../support/dynamo';
import { prose } from '../support/prose';

let db: CountedDb;
let repo: Repository;
beforeAll(async () => {
  db = await freshTable();
  repo = createRepository(db);
});

const storedChat = async (chatId: string) => (await repo.chats.getWithMembership(chatId, 'nobody')).chat;

const users = (ids: string[], roles: ('support' | 'admin')[] = []) => registerUsers(repo, ids, roles);

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
    expect((await repo.memberships.listByUser(a.userId)).map((m) => m.chatId)).toEqual([results[0].chat.id]);
  });

  it('writes every membership of a group larger than one transaction', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `g150-${i}`);
    const [owner] = await users(ids);
    const { ctx } = dynamoContext(db);
    const { chat } = await createChat(ctx, owner, { type: 'group', participantIds: ids.slice(1), title: 'Big' });
    const participants = await repo.memberships.listParticipants(chat.id);
    expect(participants).toHaveLength(150);
    expect(participants.find((p) => p.userId === owner.userId)?.role).toBe('owner');
    const markers = await repo.memberships.readMarkers(chat.id, ids);
    expect(markers.size).toBe(150);
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
    const stored = await repo.messages.page(chat.id, { limit: 100 });
    expect(stored.messages.map((m) => m.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect((await storedChat(chat.id))?.lastSeq).toBe(25);
  });

  it('costs the same writes for a chat of 2 and a chat of 150', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `cost-${i}`);
    const [owner] = await users(ids);
    const { ctx } = dynamoContext(db);
    const small = await createChat(ctx, owner, { type: 'direct', participantIds: [ids[1]] });
    const big = await createChat(ctx, owner, { type: 'group', participantIds: ids.slice(1) });
    // The send's own writes: the offline-notification marks (SPEC §8, one per newly notified recipient) are the
    // notification's cost, budgeted and measured on their own (bench "Notifications" rows).
    const writes = () => db.calls.filter((c) => /Put|Update|Delete|Write/.test(c.command) && !String(c.input.UpdateExpression ?? '').includes('notifiedSeq')).length;

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

describe('failed conditions', () => {
  it('answer what they found in the same request (ALL_OLD), never with a second read', async () => {
    const [a, b] = await users(['old-a', 'old-b']);
    const { ctx } = dynamoContext(db);
    const { chat } = await createChat(ctx, a, { type: 'direct', participantIds: [b.userId] });
    const { message } = await sendMessage(ctx, a, chat.id, { content: 'to delete' });
    const key = { chatId: chat.id, senderId: a.userId, clientMessageId: 'cm-old' };
    await repo.messages.claimClientId(key, '01FIRSTCLAIMXXXXXXXXXXXXXX', new Date(), 60);
    const requests = async (call: () => Promise<unknown>) => {
      db.reset();
      const result = await call();
      return { result, requests: db.count() };
    };

    expect(await requests(() => repo.messages.claimClientId(key, '01SECONDCLAIMXXXXXXXXXXXXX', new Date(), 60))).toEqual({
      result: expect.objectContaining({ messageUlid: '01FIRSTCLAIMXXXXXXXXXXXXXX' }),
      requests: 1,
    });
    const again = { id: `taken-${ulid()}`, type: 'direct' as const, createdBy: b.userId, createdAt: 't', updatedAt: 't', lastSeq: 0, lastActivityAt: 't', participantCount: 0 };
    expect(await requests(() => repo.chats.create(again, [], { kind: 'direct', userIds: [b.userId, a.userId] }))).toEqual({
      result: { created: false, chatId: chat.id },
      requests: 1,
    });
    expect(await requests(() => repo.memberships.advanceReadMarker(chat.id, a.userId, 1, 't'))).toEqual({ result: { moved: false, lastReadSeq: 1 }, requests: 1 });
    const newcomer = (chatId: string) => ({ chatId, userId: 'old-c', chatType: 'group' as const, role: 'member' as const, joinedAt: 't', lastReadSeq: 0, archived: false });
    expect(await requests(() => repo.memberships.add(chat.id, [newcomer(chat.id)], 2))).toEqual({ result: 'full', requests: 1 });
    const missing = `missing-${ulid()}`;
    expect(await requests(() => repo.memberships.add(missing, [newcomer(missing)], 10))).toEqual({ result: 'missing', requests: 1 });
    await deleteMessage(ctx, a, chat.id, message.id);
    expect(await requests(() => repo.messages.softDelete({ chatId: chat.id, seq: message.seq, id: message.id }, 't'))).toEqual({
      result: { deleted: false, message: expect.objectContaining({ id: message.id, content: '' }) },
      requests: 1,
    });
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
    (await db.client.send(new GetCommand({ TableName: db.table, Key: messageKey(chatId, seq), ConsistentRead: true }))).Item!;

  it('stores a 1,000-character message in one write unit instead of two', async () => {
    const content = prose(1000);
    const item = messages.toItem(record(`long-${ulid()}`, content));
    expect(item).not.toHaveProperty('content');
    expect(await writeUnits(item)).toBe(1);
    const { contentZ, ...plain } = item as typeof item & { contentZ: Uint8Array };
    expect(contentZ.length).toBeLessThan(700);
    expect(await writeUnits({ ...plain, PK: chatKey(`long-${ulid()}`).PK, content })).toBe(2);
  });

  it('sends, pages, searches, edits and deletes compressed messages like plain ones', async () => {
    const [a, b] = await users(['long-a', 'long-b']);
    const { ctx } = dynamoContext(db);
    const { chat } = await createChat(ctx, a, { type: 'direct', participantIds: [b.userId] });
    const long = `${prose(700, 3)} — déjà vu 日本語 👋`;
    const sent = await sendMessage(ctx, a, chat.id, { content: long });
    expect(sent.message.content).toBe(long);
    expect(await rawItem(chat.id, 1)).toMatchObject({ contentZ: expect.any(Uint8Array) });
    expect((await repo.messages.page(chat.id, { limit: 10 })).messages[0].content).toBe(long);
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

describe('fan-out lookups', () => {
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
