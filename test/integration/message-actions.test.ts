/**
 * Message operations on DynamoDB Local, where the conditions, transactions
 * and set updates are the real ones: the concurrent cases of SPEC §4.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createRepository } from '../../functions/data/repository';
import { createChat } from '../../functions/domain/chats';
import { deleteMessage, editMessage, listMessages, sendMessage, setReaction } from '../../functions/domain/messages';
import type { Repository } from '../../functions/domain/ports';
import type { Principal } from '../../functions/domain/types';
import { codeOf } from '../support/errors';
import { dynamoContext, freshTable, type CountedDb } from '../support/dynamo';

let db: CountedDb;
let repo: Repository;
beforeAll(async () => {
  db = await freshTable();
  repo = createRepository(db);
});

let n = 0;
async function pair() {
  const ids = [`a${n}`, `b${n++}`];
  const [a, b] = await Promise.all(
    ids.map(async (id) => {
      const p: Principal = { userId: id, name: id, roles: ['user'] };
      await repo.users.touch(p, new Date().toISOString());
      return p;
    }),
  );
  const { ctx, notifier } = dynamoContext(db, { messagesPerMinute: 1000 });
  const { chat } = await createChat(ctx, a, { type: 'direct', participantIds: [b.userId] });
  return { ctx, notifier, a, b, chatId: chat.id };
}

describe('on DynamoDB', () => {
  it('stores one message when the same clientMessageId is sent twice at once', async () => {
    const { ctx, notifier, a, chatId } = await pair();
    const results = await Promise.all([1, 2, 3].map(() => sendMessage(ctx, a, chatId, { content: 'once', clientMessageId: 'cm-1' })));
    expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect((await repo.messages.page(chatId, { limit: 10 })).messages).toHaveLength(1);
    expect(notifier.ofType('message.new')).toHaveLength(1);
  });

  it('claims a clientMessageId with plain conditional writes (no transaction) and takes over a crashed claim', async () => {
    const { ctx, a, chatId } = await pair();
    db.reset();
    const first = await sendMessage(ctx, a, chatId, { content: 'cheap', clientMessageId: 'cm-plain' });
    expect(db.count('TransactWriteItemsCommand')).toBe(0);
    expect(db.count('PutItemCommand')).toBe(2); // the claim and the message
    expect(await sendMessage(ctx, a, chatId, { content: 'cheap', clientMessageId: 'cm-plain' })).toEqual({ message: first.message, replayed: true });

    // A send that crashed after claiming: its lease ran out a minute ago, so a repeat takes over.
    const key = { chatId, senderId: a.userId, clientMessageId: 'cm-crash' };
    expect(await repo.messages.claimClientId(key, '01CRASHEDSENDXXXXXXXXXXXXX', new Date(Date.now() - 120_000), 60)).toBeUndefined();
    const taken = await sendMessage(ctx, a, chatId, { content: 'after a crash', clientMessageId: 'cm-crash' });
    expect(taken.replayed).toBe(false);
    expect(await sendMessage(ctx, a, chatId, { content: 'after a crash', clientMessageId: 'cm-crash' })).toEqual({ message: taken.message, replayed: true });
    expect((await repo.messages.page(chatId, { limit: 10 })).messages.map((m) => m.content)).toEqual(['cheap', 'after a crash']);
  });

  it('keeps both reactions when two users react at once, and one per user', async () => {
    const { ctx, a, b, chatId } = await pair();
    const { message } = await sendMessage(ctx, a, chatId, { content: 'react to me' });
    await Promise.all([
      setReaction(ctx, a, chatId, message.id, '🎉', true),
      setReaction(ctx, b, chatId, message.id, '🎉', true),
      setReaction(ctx, b, chatId, message.id, '🎉', true),
      setReaction(ctx, b, chatId, message.id, 'like', true),
    ]);
    const stored = await repo.messages.get(chatId, message.seq, true);
    expect(stored?.reactions).toEqual({ '🎉': [a.userId, b.userId].sort(), like: [b.userId] });
    await setReaction(ctx, b, chatId, message.id, 'like', false);
    expect((await repo.messages.get(chatId, message.seq, true))?.reactions).toEqual({ '🎉': [a.userId, b.userId].sort() });
  });

  it('never resurrects content when an edit races a delete', async () => {
    for (let i = 0; i < 5; i++) {
      const { ctx, a, chatId } = await pair();
      const { message } = await sendMessage(ctx, a, chatId, { content: 'original' });
      const [edit, del] = await Promise.all([codeOf(editMessage(ctx, a, chatId, message.id, 'edited')), codeOf(deleteMessage(ctx, a, chatId, message.id))]);
      expect(del).toBe('resolved');
      expect(['resolved', '409 conflict']).toContain(edit);
      expect(await repo.messages.get(chatId, message.seq, true)).toMatchObject({ content: '', deletedAt: expect.any(String) });
    }
  });

  it('searches case-insensitively and never matches deleted messages', async () => {
    const { ctx, a, b, chatId } = await pair();
    const texts = ['Grüße aus Köln', 'nothing here', 'GRÜSSE back', 'grüße, gelöscht'];
    const sent = [];
    for (const content of texts) sent.push((await sendMessage(ctx, a, chatId, { content })).message);
    await deleteMessage(ctx, a, chatId, sent[3].id);
    const found = await listMessages(ctx, b, chatId, { limit: 10, q: 'grüße' });
    expect(found.messages.map((m) => m.seq)).toEqual([1]);
    expect((await listMessages(ctx, b, chatId, { limit: 10, q: 'GRÜSSE' })).messages.map((m) => m.seq)).toEqual([3]);
  });

  it('counts a per-user window with one conditional write per action, never a read', async () => {
    const now = new Date('2026-05-05T10:00:30Z');
    db.reset();
    const results = await Promise.all(Array.from({ length: 8 }, () => repo.rateLimits.take('rl-user', 60, 5, now)));
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
    expect(db.count('UpdateItemCommand')).toBe(8);
    expect(db.count()).toBe(8);
  });
});
