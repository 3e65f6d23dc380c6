/**
 * Message operations end to end (SPEC §4-§6, issue 4): edit, delete,
 * reactions, search, idempotent send, rate limits and offline
 * notifications, through the local gateway with the client SDK.
 */
import { describe, expect, inject, it } from 'vitest';
import { call, client, uniqueId, type TestUser } from '../support/api';
import { prose } from '../support/prose';
import { record, withStatus } from '../support/sdk-events';

const stack = inject('stack');
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function pair(): Promise<[TestUser, TestUser, string]> {
  const [ada, bob] = await Promise.all(['ada', 'bob'].map((n) => client(uniqueId(n))));
  const { chat } = await ada.api.createChat({ type: 'direct', participantIds: [bob.id] });
  return [ada, bob, chat.id];
}

describe('message operations', () => {
  it('edits, reacts and deletes with events to every participant', async () => {
    const [ada, bob, chatId] = await pair();
    const bobSocket = await bob.socket();
    const bobEvents = record(bobSocket);
    try {
      const sent = (await ada.api.sendMessage(chatId, { content: 'helo' })).message;

      const edited = await ada.api.editMessage(chatId, sent.id, { content: 'hello' });
      expect(edited.message).toMatchObject({ content: 'hello', editedAt: expect.any(String) });
      expect((await bobEvents.next('message.edited', (e) => e.chatId === chatId)).message.content).toBe('hello');
      await expect(bob.api.editMessage(chatId, sent.id, { content: 'not mine' })).rejects.toMatchObject({ status: 403, code: 'forbidden' });

      const like = await bob.api.addReaction(chatId, sent.id, '👍');
      expect(like.message.reactions).toEqual({ '👍': [bob.id] });
      expect(await bobEvents.next('reaction.updated', (e) => e.chatId === chatId)).toEqual({ type: 'reaction.updated', chatId, messageId: sent.id, reactions: { '👍': [bob.id] }, at: expect.any(String) });
      await expect(bob.api.addReaction(chatId, sent.id, 'love')).rejects.toMatchObject({ status: 400, code: 'bad_request' });
      expect((await bob.api.removeReaction(chatId, sent.id, '👍')).message.reactions).toEqual({});

      await expect(bob.api.deleteMessage(chatId, sent.id)).rejects.toMatchObject({ status: 403, code: 'forbidden' });
      const deleted = await ada.api.deleteMessage(chatId, sent.id);
      expect(deleted.message).toMatchObject({ id: sent.id, seq: sent.seq, content: '', deletedAt: expect.any(String) });
      expect(await bobEvents.next('message.deleted', (e) => e.chatId === chatId)).toEqual({ type: 'message.deleted', chatId, messageId: sent.id, seq: sent.seq, at: expect.any(String) });
      // Deleting again answers the deleted message and emits nothing.
      expect((await ada.api.deleteMessage(chatId, sent.id)).message).toMatchObject({ id: sent.id, deletedAt: deleted.message.deletedAt });
      await sleep(300);
      expect(bobEvents.of('message.deleted')).toHaveLength(1);
      expect((await bob.api.listMessages(chatId)).messages[0]).toMatchObject({ content: '', deletedAt: expect.any(String) });
    } finally {
      bobSocket.close();
    }
  });

  it('replies and searches', async () => {
    const [ada, bob, chatId] = await pair();
    const question = (await ada.api.sendMessage(chatId, { content: 'Where is the TRACTOR?' })).message;
    const reply = await bob.api.sendMessage(chatId, { content: 'The tractor is in the barn', replyTo: question.id });
    expect(reply.message.replyTo).toEqual({ id: question.id, seq: 1, senderId: ada.id, preview: 'Where is the TRACTOR?' });
    await ada.api.sendMessage(chatId, { content: 'thanks' });
    const found = await ada.api.listMessages(chatId, { q: 'tractor' });
    expect(found.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(found.hasMore).toBe(false);
    const paged = await ada.api.listMessages(chatId, { q: 'Tractor', limit: 1 });
    expect(paged).toMatchObject({ hasMore: true, messages: [{ seq: 2 }] });
    const rest = await ada.api.listMessages(chatId, { q: 'Tractor', limit: 1, before: Number(paged.nextCursor) });
    expect(rest.messages.map((m) => m.seq)).toEqual([1]);
  });

  it('delivers, lists, searches and edits a long message exactly as sent (stored compressed)', async () => {
    const [ada, bob, chatId] = await pair();
    const bobSocket = await bob.socket();
    const bobEvents = record(bobSocket);
    try {
      const long = `${prose(1200, 5)} — ça marche, 日本語, 👋🏽`;
      const sent = (await ada.api.sendMessage(chatId, { content: long })).message;
      expect(sent.content).toBe(long);
      expect((await bobEvents.next('message.new', (e) => e.chatId === chatId)).message.content).toBe(long);
      expect((await bob.api.listMessages(chatId)).messages[0].content).toBe(long);
      expect((await bob.api.listMessages(chatId, { q: 'ÇA MARCHE' })).messages.map((m) => m.id)).toEqual([sent.id]);
      const longer = `${long} (edited)`;
      expect((await ada.api.editMessage(chatId, sent.id, { content: longer })).message.content).toBe(longer);
      expect((await bob.api.getChat(chatId)).chat.lastMessage?.content).toBe(longer.slice(0, 100));
    } finally {
      bobSocket.close();
    }
  });

  it('answers a repeated clientMessageId with the first message (200), also when the repeats race', async () => {
    const [ada, , chatId] = await pair();
    const body = { content: 'pay invoice #12', clientMessageId: uniqueId('cm') };
    const first = await withStatus(ada, (api) => api.sendMessage(chatId, body));
    const again = await withStatus(ada, (api) => api.sendMessage(chatId, body));
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.message.id).toBe(first.body.message.id);

    const racing = await Promise.all([1, 2, 3].map(() => withStatus(ada, (api) => api.sendMessage(chatId, { content: 'race', clientMessageId: 'same-id' }))));
    expect(racing.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    expect(new Set(racing.map((r) => r.body.message.id)).size).toBe(1);
    expect((await ada.api.listMessages(chatId)).messages).toHaveLength(2);
  });
});

describe('rate limit', () => {
  it('counts HTTP and WebSocket together: 429 with Retry-After on HTTP, an error frame on WebSocket', async () => {
    const [ada, , chatId] = await pair();
    // The limit is a fixed one-minute window (epoch-aligned): start early in a window so the
    // 22 sends below cannot straddle a boundary, where a fresh window would let them through.
    const intoWindow = Date.now() % 60_000;
    if (intoWindow > 30_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoWindow + 100));
    await Promise.all(Array.from({ length: 20 }, (_, i) => ada.api.sendMessage(chatId, { content: `m${i}` })));
    const socket = await ada.socket();
    const events = record(socket);
    try {
      await expect(socket.sendMessage({ chatId, content: 'over the limit' })).rejects.toMatchObject({ code: 'rate_limited', retryAfterSeconds: expect.any(Number) });
      const http = await ada.api.sendMessage(chatId, { content: 'over the limit' }).catch((error: unknown) => error);
      expect(http).toMatchObject({ status: 429, code: 'rate_limited', problem: { code: 'rate_limited', status: 429 } });
      expect((http as { retryAfterSeconds?: number }).retryAfterSeconds).toBeGreaterThan(0);
      // The connection stays open after the error frame: the ping goes out on it, without a reconnect.
      await socket.ping();
      expect(events.of('status')).toEqual([]);
    } finally {
      socket.close();
    }
  }, 60_000);
});

describe('offline notifications', () => {
  it('publishes one notification per participant without an open connection', async () => {
    const [ada, bob] = await pair();
    const carol = await client(uniqueId('carol'));
    const group = (await ada.api.createChat({ type: 'group', participantIds: [bob.id, carol.id] })).chat.id;
    const carolSocket = await carol.socket();
    try {
      const sent = (await ada.api.sendMessage(group, { content: 'Are you there, Bob?' })).message;
      await expect
        .poll(async () => {
          // Raw: a local-only route, not part of the API.
          const { notifications } = (await call(stack, 'GET', '/dev/notifications')).body;
          return notifications.filter((n: any) => n.messageId === sent.id);
        })
        .toEqual([
          { recipientId: bob.id, chatId: group, messageId: sent.id, seq: sent.seq, senderId: ada.id, senderName: expect.any(String), preview: 'Are you there, Bob?', mentioned: false, unreadCount: 1 },
        ]);
    } finally {
      carolSocket.close();
    }
  });
});
