import { describe, expect, it } from 'vitest';
import { createChat } from '../../functions/domain/chats';
import { connect } from '../../functions/domain/connections';
import { addParticipants } from '../../functions/domain/groups';
import { CLIENT_ID_LEASE_SECONDS, deleteMessage, editMessage, listMessages, sendMessage } from '../../functions/domain/messages';
import { isValidReaction, setReaction } from '../../functions/domain/reactions';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

async function pair() {
  const m = memoryContext();
  const alice = await user(m.repo, 'alice');
  const bob = await user(m.repo, 'bob');
  const mallory = await user(m.repo, 'mallory');
  const root = await user(m.repo, 'root', ['admin']);
  const { chat } = await createChat(m.ctx, alice, { type: 'direct', participantIds: ['bob'] });
  m.notifier.sent.splice(0);
  return { ...m, alice, bob, mallory, root, chatId: chat.id };
}

describe('editMessage', () => {
  it('lets the author edit within the window, sets editedAt, updates the chat preview and emits message.edited', async () => {
    const { ctx, repo, notifier, alice, chatId, advance } = await pair();
    const { message } = await sendMessage(ctx, alice, chatId, { content: 'helo' });
    advance(60_000);
    const { message: edited } = await editMessage(ctx, alice, chatId, message.id, 'hello');
    expect(edited).toMatchObject({ id: message.id, seq: 1, content: 'hello', editedAt: '2026-01-01T00:01:00.000Z' });
    expect(repo.chatMap.get(chatId)!.lastMessage).toMatchObject({ id: message.id, content: 'hello' });
    expect(notifier.ofType('message.edited')[0].event).toMatchObject({ chatId, message: { id: message.id, content: 'hello' } });
  });

  it('refuses other users (403), late edits (403 edit_window_expired), deleted messages (409), unknown ids (404)', async () => {
    const { ctx, alice, bob, mallory, chatId, advance } = await pair();
    const { message } = await sendMessage(ctx, alice, chatId, { content: 'mine' });
    expect(await codeOf(editMessage(ctx, bob, chatId, message.id, 'yours'))).toBe('403 forbidden');
    expect(await codeOf(editMessage(ctx, mallory, chatId, message.id, 'x'))).toBe('404 not_found');
    expect(await codeOf(editMessage(ctx, alice, chatId, message.id.replace(/-1$/, '-2'), 'x'))).toBe('404 not_found');
    expect(await codeOf(editMessage(ctx, alice, chatId, 'garbage', 'x'))).toBe('404 not_found');
    expect(await codeOf(editMessage(ctx, alice, chatId, message.id, '  '))).toBe('400 bad_request');
    advance(15 * 60_000);
    expect(await codeOf(editMessage(ctx, alice, chatId, message.id, 'just in time'))).toBe('resolved');
    advance(1000);
    expect(await codeOf(editMessage(ctx, alice, chatId, message.id, 'too late'))).toBe('403 edit_window_expired');
    const { message: other } = await sendMessage(ctx, alice, chatId, { content: 'to delete' });
    await deleteMessage(ctx, alice, chatId, other.id);
    expect(await codeOf(editMessage(ctx, alice, chatId, other.id, 'back'))).toBe('409 conflict');
  });

  it('never brings back the content of a message when an edit races its delete', async () => {
    for (let i = 0; i < 10; i++) {
      const { ctx, repo, alice, chatId } = await pair();
      const { message } = await sendMessage(ctx, alice, chatId, { content: 'original' });
      const [edit, del] = await Promise.all([codeOf(editMessage(ctx, alice, chatId, message.id, 'edited')), codeOf(deleteMessage(ctx, alice, chatId, message.id))]);
      expect(del).toBe('resolved');
      expect(['resolved', '409 conflict']).toContain(edit);
      expect(repo.messageMap.get(`${chatId}|1`)).toMatchObject({ content: '', deletedAt: expect.any(String) });
    }
  });
});

describe('deleteMessage', () => {
  it('soft-deletes once: keeps id and seq, clears content, emits message.deleted once', async () => {
    const { ctx, repo, notifier, alice, bob, chatId } = await pair();
    const { message } = await sendMessage(ctx, alice, chatId, { content: 'oops', metadata: { card: 'x' } });
    const first = await deleteMessage(ctx, alice, chatId, message.id);
    const again = await deleteMessage(ctx, alice, chatId, message.id);
    expect(first.message).toMatchObject({ id: message.id, seq: 1, content: '', attachments: [], deletedAt: expect.any(String) });
    expect(first.message.metadata).toBeUndefined();
    expect(again.message.deletedAt).toBe(first.message.deletedAt);
    expect(notifier.ofType('message.deleted').map((e) => e.event)).toEqual([{ type: 'message.deleted', chatId, messageId: message.id, seq: 1, at: expect.any(String) }]);
    // The chat list's preview says it was deleted, so a client does not show it as an attachment-only message.
    expect(repo.chatMap.get(chatId)!.lastMessage).toEqual(expect.objectContaining({ id: message.id, content: '', deleted: true }));
    const { messages } = await listMessages(ctx, bob, chatId, { limit: 10 });
    expect(messages[0]).toMatchObject({ content: '', deletedAt: expect.any(String) });
  });

  it('is allowed to the author, group owners/admins and platform admins only', async () => {
    const m = memoryContext();
    const [owner, gadmin, member, other, root] = await Promise.all(['owner', 'gadmin', 'member', 'other', 'root'].map((id) => user(m.repo, id, id === 'root' ? ['admin'] : [])));
    const { chat } = await createChat(m.ctx, owner, { type: 'group', participantIds: ['member', 'other'] });
    await addParticipants(m.ctx, owner, chat.id, { userIds: ['gadmin'], role: 'admin' });
    const send = async () => (await sendMessage(m.ctx, member, chat.id, { content: 'x' })).message.id;
    expect(await codeOf(deleteMessage(m.ctx, other, chat.id, await send()))).toBe('403 forbidden');
    expect(await codeOf(deleteMessage(m.ctx, gadmin, chat.id, await send()))).toBe('resolved');
    expect(await codeOf(deleteMessage(m.ctx, owner, chat.id, await send()))).toBe('resolved');
    expect(await codeOf(deleteMessage(m.ctx, root, chat.id, await send()))).toBe('resolved');
    expect(await codeOf(deleteMessage(m.ctx, member, chat.id, await send()))).toBe('resolved');
  });

  it('in a direct chat, only the author (or a platform admin) deletes', async () => {
    const { ctx, alice, bob, mallory, chatId } = await pair();
    const { message } = await sendMessage(ctx, alice, chatId, { content: 'x' });
    expect(await codeOf(deleteMessage(ctx, bob, chatId, message.id))).toBe('403 forbidden');
    expect(await codeOf(deleteMessage(ctx, mallory, chatId, message.id))).toBe('404 not_found');
  });
});

describe('reactions', () => {
  it('accepts like, dislike and exactly one emoji', () => {
    for (const ok of ['like', 'dislike', '👍', '👍🏽', '🇫🇷', '👨‍👩‍👧', '❤️']) expect(isValidReaction(ok), ok).toBe(true);
    for (const bad of ['', 'Like', 'love', '👍👍', 'a', '1', ' 👍', '<script>']) expect(isValidReaction(bad), bad).toBe(false);
  });

  it('keeps one reaction per user per kind and emits reaction.updated only on change', async () => {
    const { ctx, notifier, alice, bob, chatId } = await pair();
    const { message } = await sendMessage(ctx, alice, chatId, { content: 'nice' });
    await setReaction(ctx, bob, chatId, message.id, '👍', true);
    await setReaction(ctx, bob, chatId, message.id, '👍', true);
    const both = await setReaction(ctx, alice, chatId, message.id, '👍', true);
    expect(both.message.reactions).toEqual({ '👍': ['alice', 'bob'] });
    const removed = await setReaction(ctx, bob, chatId, message.id, '👍', false);
    expect(removed.message.reactions).toEqual({ '👍': ['alice'] });
    await setReaction(ctx, bob, chatId, message.id, '👍', false);
    expect(notifier.ofType('reaction.updated').map((e) => e.event)).toEqual([
      { type: 'reaction.updated', chatId, messageId: message.id, reactions: { '👍': ['bob'] }, at: expect.any(String) },
      { type: 'reaction.updated', chatId, messageId: message.id, reactions: { '👍': ['alice', 'bob'] }, at: expect.any(String) },
      { type: 'reaction.updated', chatId, messageId: message.id, reactions: { '👍': ['alice'] }, at: expect.any(String) },
    ]);
  });

  it('records concurrent reactions of different users', async () => {
    const { ctx, alice, bob, chatId } = await pair();
    const { message } = await sendMessage(ctx, alice, chatId, { content: 'x' });
    await Promise.all([setReaction(ctx, alice, chatId, message.id, 'like', true), setReaction(ctx, bob, chatId, message.id, 'like', true)]);
    const { messages } = await listMessages(ctx, alice, chatId, { limit: 1 });
    expect(messages[0].reactions).toEqual({ like: ['alice', 'bob'] });
  });

  it('refuses bad reactions, deleted messages and non-participants', async () => {
    const { ctx, alice, mallory, chatId } = await pair();
    const { message } = await sendMessage(ctx, alice, chatId, { content: 'x' });
    expect(await codeOf(setReaction(ctx, alice, chatId, message.id, 'love', true))).toBe('400 bad_request');
    expect(await codeOf(setReaction(ctx, mallory, chatId, message.id, 'like', true))).toBe('404 not_found');
    await deleteMessage(ctx, alice, chatId, message.id);
    expect(await codeOf(setReaction(ctx, alice, chatId, message.id, 'like', true))).toBe('409 conflict');
  });
});

describe('search', () => {
  it('matches case-insensitively, skips deleted messages and pages with nextCursor', async () => {
    const { ctx, alice, bob, chatId } = await pair();
    const contents = ['Hello world', 'nothing', 'HELLO again', 'say hello', 'bye', 'hello, deleted'];
    const ids: string[] = [];
    for (const [i, content] of contents.entries()) ids.push((await sendMessage(ctx, i % 2 ? bob : alice, chatId, { content })).message.id);
    await deleteMessage(ctx, bob, chatId, ids[5]);

    const all = await listMessages(ctx, alice, chatId, { limit: 10, q: 'hello' });
    expect(all.messages.map((m) => m.seq)).toEqual([1, 3, 4]);
    expect(all).toMatchObject({ hasMore: false, nextCursor: null });

    const first = await listMessages(ctx, alice, chatId, { limit: 2, q: 'HeLLo' });
    expect(first.messages.map((m) => m.seq)).toEqual([3, 4]);
    expect(first.hasMore).toBe(true);
    const second = await listMessages(ctx, alice, chatId, { limit: 2, q: 'hello', before: Number(first.nextCursor) });
    expect(second.messages.map((m) => m.seq)).toEqual([1]);
    expect(second.hasMore).toBe(false);
    const forward = await listMessages(ctx, alice, chatId, { limit: 2, q: 'hello', after: 1 });
    expect(forward.messages.map((m) => m.seq)).toEqual([3, 4]);
  });

  it('stops after reading 1,000 messages and lets the client continue', async () => {
    const m = memoryContext({ limits: { messagesPerMinute: 10_000 } });
    const alice = await user(m.repo, 'alice');
    await user(m.repo, 'bob');
    const { chat } = await createChat(m.ctx, alice, { type: 'direct', participantIds: ['bob'] });
    await sendMessage(m.ctx, alice, chat.id, { content: 'needle' });
    for (let i = 0; i < 1100; i++) await sendMessage(m.ctx, alice, chat.id, { content: `hay ${i}` });
    const first = await listMessages(m.ctx, alice, chat.id, { limit: 10, q: 'needle' });
    expect(first.messages).toEqual([]);
    expect(first.hasMore).toBe(true);
    const second = await listMessages(m.ctx, alice, chat.id, { limit: 10, q: 'needle', before: Number(first.nextCursor) });
    expect(second.messages.map((x) => x.seq)).toEqual([1]);
  });
});

describe('idempotent send (clientMessageId)', () => {
  it('returns the first message for a repeat, storing and sending nothing', async () => {
    const { ctx, repo, notifier, alice, bob, chatId } = await pair();
    const first = await sendMessage(ctx, alice, chatId, { content: 'once', clientMessageId: 'c-1' });
    const repeat = await sendMessage(ctx, alice, chatId, { content: 'once', clientMessageId: 'c-1' });
    expect(first.replayed).toBe(false);
    expect(repeat).toEqual({ message: first.message, replayed: true });
    expect(repo.messageMap.size).toBe(1);
    expect(notifier.ofType('message.new')).toHaveLength(1);
    // Scoped to the sender and the chat.
    expect((await sendMessage(ctx, bob, chatId, { content: 'mine', clientMessageId: 'c-1' })).replayed).toBe(false);
  });

  it('takes over the claim of a send that crashed before storing, once its lease has run out', async () => {
    const { ctx, repo, notifier, alice, chatId, advance } = await pair();
    // What a crashed send leaves: the claim, and no message.
    await repo.messages.claimClientId({ chatId, senderId: alice.userId, clientMessageId: 'c-crash' }, '01CRASHEDSENDXXXXXXXXXXXXX', ctx.now(), CLIENT_ID_LEASE_SECONDS);
    const early = await sendMessage(ctx, alice, chatId, { content: 'again', clientMessageId: 'c-crash' }).catch((e: unknown) => e);
    expect(early).toMatchObject({ status: 409, code: 'conflict', retryAfterSeconds: CLIENT_ID_LEASE_SECONDS + 1 });
    expect(repo.messageMap.size).toBe(0);

    advance((CLIENT_ID_LEASE_SECONDS + 1) * 1000);
    const late = await sendMessage(ctx, alice, chatId, { content: 'again', clientMessageId: 'c-crash' });
    expect(late.replayed).toBe(false);
    expect(repo.messageMap.size).toBe(1);
    expect(notifier.ofType('message.new')).toHaveLength(1);
    expect(await sendMessage(ctx, alice, chatId, { content: 'again', clientMessageId: 'c-crash' })).toEqual({ message: late.message, replayed: true });
  });

  it('gives the claim back when the send fails before storing, so a corrected retry goes through at once', async () => {
    const { ctx, repo, alice, mallory, chatId, advance } = await pair();
    advance(30_000);
    // Not a participant: 404, and no claim left behind.
    expect(await codeOf(sendMessage(ctx, mallory, chatId, { content: 'hi', clientMessageId: 'm-1' }))).toBe('404 not_found');
    // A reply to a message that does not exist: 400.
    expect(await codeOf(sendMessage(ctx, alice, chatId, { content: 'hi', replyTo: 'nope', clientMessageId: 'a-1' }))).toBe('400 bad_request');
    // Rate limited: 429 (the refused reply above counted too: 1 + 19 = the limit of 20).
    for (let i = 0; i < 19; i++) await sendMessage(ctx, alice, chatId, { content: `m${i}` });
    expect(await codeOf(sendMessage(ctx, alice, chatId, { content: 'over', clientMessageId: 'a-2' }))).toBe('429 rate_limited');
    expect([...repo.clientIdMap.keys()]).toEqual([]);

    advance(60_000); // the next window
    expect((await sendMessage(ctx, alice, chatId, { content: 'hi', replyTo: undefined, clientMessageId: 'a-1' })).replayed).toBe(false);
    expect((await sendMessage(ctx, alice, chatId, { content: 'over', clientMessageId: 'a-2' })).replayed).toBe(false);
  });

  it('stores one message when the same clientMessageId races', async () => {
    const { ctx, repo, alice, chatId } = await pair();
    const results = await Promise.all(Array.from({ length: 5 }, () => sendMessage(ctx, alice, chatId, { content: 'race', clientMessageId: 'dup' })));
    expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(repo.messageMap.size).toBe(1);
  });
});

describe('rate limit', () => {
  it('allows 20 messages per user per minute, then 429 rate_limited with Retry-After, and resets', async () => {
    const { ctx, alice, bob, chatId, advance } = await pair();
    advance(30_000);
    for (let i = 0; i < 20; i++) await sendMessage(ctx, alice, chatId, { content: `m${i}` });
    const refused = await sendMessage(ctx, alice, chatId, { content: 'one too many' }).catch((e) => e);
    expect(refused).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: 30 });
    expect((await sendMessage(ctx, bob, chatId, { content: 'others are not limited' })).message.seq).toBe(21);
    advance(30_000);
    expect((await sendMessage(ctx, alice, chatId, { content: 'new minute' })).message.seq).toBe(22);
  });
});

describe('offline notifications and read receipts', () => {
  it('publishes for participants without an open connection, never for the sender, and survives a broken bus', async () => {
    const m = memoryContext();
    const [alice, , carol] = await Promise.all(['alice', 'bob', 'carol'].map((id) => user(m.repo, id)));
    const { chat } = await createChat(m.ctx, alice, { type: 'group', participantIds: ['bob', 'carol'] });
    await connect(m.ctx, carol, 'carol-conn', 3600);
    const { message } = await sendMessage(m.ctx, alice, chat.id, { content: 'x'.repeat(150) });
    expect(m.offline.published).toEqual([
      { recipientId: 'bob', chatId: chat.id, messageId: message.id, seq: 1, senderId: 'alice', senderName: 'ALICE', preview: 'x'.repeat(100), mentioned: false, unreadCount: 1 },
    ]);
    m.offline.fail = true;
    expect((await sendMessage(m.ctx, carol, chat.id, { content: 'still sent' })).message.seq).toBe(2);
  });

  it('emits no messages.read for a send, even one that moves the sender past unread messages (SPEC §6: message.new implies it)', async () => {
    const { ctx, repo, notifier, alice, bob, chatId } = await pair();
    await sendMessage(ctx, alice, chatId, { content: 'one' });
    await sendMessage(ctx, alice, chatId, { content: 'two' });
    await sendMessage(ctx, bob, chatId, { content: 'reply' });
    expect(notifier.ofType('messages.read')).toHaveLength(0);
    expect(notifier.ofType('message.new')).toHaveLength(3);
    // The marker still moved: unread counts and readBy stay exact.
    expect(repo.memberMap.get(`${chatId}|bob`)!.lastReadSeq).toBe(3);
  });

  it('lets admins post system messages into any chat', async () => {
    const { ctx, root, alice, chatId } = await pair();
    expect((await sendMessage(ctx, root, chatId, { content: 'Maintenance tonight', type: 'system' })).message).toMatchObject({ type: 'system', senderId: 'root' });
    expect(await codeOf(sendMessage(ctx, alice, chatId, { content: 'x', type: 'system' }))).toBe('403 forbidden');
  });
});
