import { describe, expect, it } from 'vitest';
import { createChat } from '../../functions/domain/chats';
import { listMessages, markRead, sendMessage } from '../../functions/domain/messages';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';


async function pair() {
  const m = memoryContext();
  const alice = await user(m.repo, 'alice');
  const bob = await user(m.repo, 'bob');
  const { chat } = await createChat(m.ctx, alice, { type: 'direct', participantIds: ['bob'] });
  return { ...m, alice, bob, chatId: chat.id };
}

describe('sendMessage', () => {
  it('stores the message, moves the chat and the sender\'s read marker, then emits message.new to all participants', async () => {
    const { ctx, repo, notifier, alice, chatId } = await pair();
    const { message } = await sendMessage(ctx, alice, chatId, { content: 'hello' });
    expect(message).toMatchObject({ seq: 1, senderId: 'alice', content: 'hello', type: 'text', readBy: 0, reactions: {}, attachments: [] });
    expect(repo.chatMap.get(chatId)).toMatchObject({ lastSeq: 1, lastMessage: { id: message.id, content: 'hello' } });
    expect(repo.memberMap.get(`${chatId}|alice`)!.lastReadSeq).toBe(1);
    expect(repo.memberMap.get(`${chatId}|bob`)!.lastReadSeq).toBe(0);
    const [event] = notifier.ofType('message.new');
    expect(event.userIds.sort()).toEqual(['alice', 'bob']);
    expect(event.event).toMatchObject({ chatId, message: { id: message.id } });
  });

  it('gives concurrent sends unique, gap-free seqs', async () => {
    const { ctx, repo, alice, bob, chatId } = await pair();
    const sends = Array.from({ length: 30 }, (_, i) => sendMessage(ctx, i % 2 ? alice : bob, chatId, { content: `m${i}` }));
    const seqs = (await Promise.all(sends)).map((r) => r.message.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(repo.chatMap.get(chatId)!.lastSeq).toBe(30);
  });

  it('recovers the next seq when the chat item lags behind the stored messages', async () => {
    const { ctx, repo, alice, chatId } = await pair();
    await sendMessage(ctx, alice, chatId, { content: 'one' });
    // As if a sender crashed after storing seq 2 but before updating the chat item.
    await repo.messages.putAtomically({ ...repo.messageMap.get(`${chatId}|1`)!, id: 'X', seq: 2 });
    const { message } = await sendMessage(ctx, alice, chatId, { content: 'three' });
    expect(message.seq).toBe(3);
    expect(repo.chatMap.get(chatId)!.lastSeq).toBe(3);
  });

  it('enforces participants, content and roles', async () => {
    const { ctx, repo, alice, chatId } = await pair();
    const mallory = await user(repo, 'mallory');
    const admin = await user(repo, 'root', ['admin']);
    expect(await codeOf(sendMessage(ctx, mallory, chatId, { content: 'x' }))).toBe('404 not_found');
    expect(await codeOf(sendMessage(ctx, admin, chatId, { content: 'x' }))).toBe('404 not_found');
    expect(await codeOf(sendMessage(ctx, alice, chatId, { content: '   ' }))).toBe('400 bad_request');
    expect(await codeOf(sendMessage(ctx, alice, chatId, { content: 'x'.repeat(5001) }))).toBe('400 bad_request');
    expect(await codeOf(sendMessage(ctx, alice, chatId, { content: '😀'.repeat(5000) }))).toBe('resolved');
    expect(await codeOf(sendMessage(ctx, alice, chatId, { content: 'x', type: 'system' }))).toBe('403 forbidden');
    expect(await codeOf(sendMessage(ctx, alice, chatId, { attachmentIds: ['a1'] }))).toBe('400 attachment_not_uploaded');
    expect(repo.messageMap.size).toBe(1);
  });

  it('carries a reply preview of a message in the same chat only', async () => {
    const { ctx, repo, alice, bob, chatId } = await pair();
    const { message: first } = await sendMessage(ctx, alice, chatId, { content: 'question?' });
    const { message: reply } = await sendMessage(ctx, bob, chatId, { content: 'answer', replyTo: first.id });
    expect(reply.replyTo).toEqual({ id: first.id, seq: 1, senderId: 'alice', preview: 'question?' });
    expect(await codeOf(sendMessage(ctx, bob, chatId, { content: 'x', replyTo: first.id.replace(/^./, 'Z') }))).toBe('400 bad_request');
    const carol = await user(repo, 'carol');
    const other = await createChat(ctx, carol, { type: 'direct', participantIds: ['bob'] });
    expect(await codeOf(sendMessage(ctx, bob, other.chat.id, { content: 'x', replyTo: first.id }))).toBe('400 bad_request');
  });
});

describe('listMessages', () => {
  it('pages latest, before and after in ascending order with hasMore and nextCursor', async () => {
    const { ctx, alice, chatId } = await pair();
    for (let i = 1; i <= 7; i++) await sendMessage(ctx, alice, chatId, { content: `m${i}` });
    const latest = await listMessages(ctx, alice, chatId, { limit: 3 });
    expect(latest.messages.map((m) => m.seq)).toEqual([5, 6, 7]);
    expect(latest).toMatchObject({ hasMore: true, nextCursor: '5' });
    const older = await listMessages(ctx, alice, chatId, { limit: 3, before: 5 });
    expect(older.messages.map((m) => m.seq)).toEqual([2, 3, 4]);
    const oldest = await listMessages(ctx, alice, chatId, { limit: 3, before: 2 });
    expect(oldest).toMatchObject({ hasMore: false, nextCursor: null });
    expect(oldest.messages.map((m) => m.seq)).toEqual([1]);
    const after = await listMessages(ctx, alice, chatId, { limit: 4, after: 2 });
    expect(after.messages.map((m) => m.seq)).toEqual([3, 4, 5, 6]);
    expect(after).toMatchObject({ hasMore: true, nextCursor: '6' });
    expect((await listMessages(ctx, alice, chatId, { limit: 4, after: 7 })).messages).toEqual([]);
  });

  it('derives readBy from the other participants\' read markers', async () => {
    const { ctx, alice, bob, chatId } = await pair();
    await sendMessage(ctx, alice, chatId, { content: 'a' });
    await sendMessage(ctx, alice, chatId, { content: 'b' });
    await markRead(ctx, bob, chatId, 1);
    const { messages } = await listMessages(ctx, alice, chatId, { limit: 10 });
    expect(messages.map((m) => m.readBy)).toEqual([1, 0]);
  });

  it('lets admins read and hides the chat from everyone else', async () => {
    const { ctx, repo, alice, chatId } = await pair();
    await sendMessage(ctx, alice, chatId, { content: 'a' });
    const admin = await user(repo, 'root', ['admin']);
    const mallory = await user(repo, 'mallory');
    expect((await listMessages(ctx, admin, chatId, { limit: 10 })).messages).toHaveLength(1);
    expect(await codeOf(listMessages(ctx, mallory, chatId, { limit: 10 }))).toBe('404 not_found');
  });
});

describe('markRead', () => {
  it('moves forward only, clamps to the last message and emits messages.read when it moved', async () => {
    const { ctx, notifier, alice, bob, chatId } = await pair();
    for (let i = 0; i < 5; i++) await sendMessage(ctx, alice, chatId, { content: `m${i}` });
    expect(await markRead(ctx, bob, chatId, 3)).toEqual({ lastReadSeq: 3, unreadCount: 2 });
    expect(await markRead(ctx, bob, chatId, 2)).toEqual({ lastReadSeq: 3, unreadCount: 2 });
    expect(await markRead(ctx, bob, chatId, 99)).toEqual({ lastReadSeq: 5, unreadCount: 0 });
    expect(await markRead(ctx, bob, chatId)).toEqual({ lastReadSeq: 5, unreadCount: 0 });
    const reads = notifier.ofType('messages.read').map((r) => r.event);
    expect(reads).toEqual([
      expect.objectContaining({ chatId, userId: 'bob', lastReadSeq: 3 }),
      expect.objectContaining({ chatId, userId: 'bob', lastReadSeq: 5 }),
    ]);
    expect(notifier.ofType('messages.read')[0].userIds.sort()).toEqual(['alice', 'bob']);
  });

  it('answers 404 to non-participants', async () => {
    const { ctx, repo, chatId } = await pair();
    const mallory = await user(repo, 'mallory');
    expect(await codeOf(markRead(ctx, mallory, chatId))).toBe('404 not_found');
  });
});
