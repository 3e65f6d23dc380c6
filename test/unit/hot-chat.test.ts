/**
 * Hot chats (issue 20): seq allocation with one atomic update per send
 * (`ChatStore.allocateSeq`), so k members sending at once cost k
 * allocations and k puts, never a retry loop or a 503; the gaps a failed or
 * crashed send can leave, and how placeholders keep seqs contiguous and
 * unread counts exact (SPEC §3: unread = messages above the marker by others).
 */
import { describe, expect, it } from 'vitest';
import { createChat, listChats } from '../../functions/domain/chats';
import { GAP_HEAL_AFTER_MS, GAP_SENDER, listMessages, sendMessage } from '../../functions/domain/messages';
import type { Limits } from '../../functions/domain/context';
import type { MessageRecord } from '../../functions/domain/types';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

async function group(members: number, limits: Partial<Limits> = {}) {
  const m = memoryContext({ limits });
  const people = await Promise.all(Array.from({ length: members }, (_, i) => user(m.repo, `u${i}`)));
  const { chat } = await createChat(m.ctx, people[0], { type: 'group', title: 'hot', participantIds: people.slice(1).map((p) => p.userId) });
  return { ...m, people, chatId: chat.id };
}

/** Unread as SPEC §3 defines it, counted from the stored messages: seq above the marker, sent by someone else. */
function exactUnread(messages: Iterable<MessageRecord>, chatId: string, userId: string, lastReadSeq: number): number {
  return [...messages].filter((m) => m.chatId === chatId && m.seq > lastReadSeq && m.senderId !== userId).length;
}

describe('hot chat: 50 members sending into one chat at once', () => {
  it('stores every message with unique consecutive seqs, one allocation each, and leaves the highest seq as lastMessage', async () => {
    const { ctx, repo, people, chatId } = await group(50);
    let allocations = 0;
    const allocate = repo.chats.allocateSeq;
    repo.chats.allocateSeq = (...args) => (allocations++, allocate(...args));
    const sent = await Promise.all(people.map((p, i) => sendMessage(ctx, p, chatId, { content: `from ${i}`, clientMessageId: `c${i}` })));
    const seqs = sent.map((s) => s.message.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(allocations).toBe(50);
    const chat = repo.chatMap.get(chatId)!;
    const top = sent.find((s) => s.message.seq === 50)!.message;
    expect(chat.lastSeq).toBe(50);
    expect(chat.lastMessage).toMatchObject({ id: top.id, seq: 50, senderId: top.senderId, content: top.content });
    // Each message is stored under its seq with the content its sender sent.
    for (const s of sent) expect(repo.messageMap.get(`${chatId}|${s.message.seq}`)).toMatchObject({ id: s.message.id, content: s.message.content });
  });

  it('keeps unread counts exact for every member after the burst', async () => {
    const { ctx, repo, people, chatId } = await group(20);
    await Promise.all(people.slice(0, 10).map((p, i) => sendMessage(ctx, p, chatId, { content: `m${i}` })));
    for (const p of people) {
      const marker = repo.memberMap.get(`${chatId}|${p.userId}`)!.lastReadSeq;
      const { chats } = await listChats(ctx, p, { limit: 20 });
      expect(chats[0].unreadCount, p.userId).toBe(exactUnread(repo.messageMap.values(), chatId, p.userId, marker));
    }
  });

  it('still applies the per-user rate limit under contention: the sends past it get 429 and allocate nothing', async () => {
    const { ctx, repo, people, chatId } = await group(2, { messagesPerMinute: 5 });
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => sendMessage(ctx, people[0], chatId, { content: `m${i}` })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    for (const r of results) if (r.status === 'rejected') expect(await codeOf(Promise.reject(r.reason))).toBe('429 rate_limited');
    expect(repo.chatMap.get(chatId)!.lastSeq).toBe(5);
    expect(repo.messageMap.size).toBe(5);
  });

  it('answers concurrent repeats of one clientMessageId with the first message, allocating one seq (also with attachments)', async () => {
    const { ctx, repo, people, chatId } = await group(3);
    const sends = await Promise.all(Array.from({ length: 6 }, () => sendMessage(ctx, people[1], chatId, { content: 'once', clientMessageId: 'same' }).catch((e) => e)));
    const ok = sends.filter((s) => !(s instanceof Error)) as Awaited<ReturnType<typeof sendMessage>>[];
    expect(new Set(ok.map((s) => s.message.id)).size).toBe(1);
    expect(ok.filter((s) => !s.replayed)).toHaveLength(1);
    // Repeats still waiting on the first answer 409 (retry); none of them allocated a seq.
    for (const s of sends) if (s instanceof Error) expect(await codeOf(Promise.reject(s))).toBe('409 conflict');
    expect(repo.chatMap.get(chatId)!.lastSeq).toBe(1);
  });
});

describe('gaps: a seq allocated but never stored', () => {
  it('heals a crash gap on the first history read after the sender can no longer be running; unread counts match the stored messages', async () => {
    const { ctx, repo, people, chatId, advance } = await group(3);
    const [a, b, c] = people;
    await sendMessage(ctx, a, chatId, { content: 'one' });
    // b's send dies between allocation and put: neither the message nor a placeholder is written.
    const put = repo.messages.putAtomically;
    repo.messages.putAtomically = async () => {
      throw new Error('function killed');
    };
    await expect(sendMessage(ctx, b, chatId, { content: 'lost' })).rejects.toThrow();
    repo.messages.putAtomically = put;
    await sendMessage(ctx, a, chatId, { content: 'three' });
    expect(repo.messageMap.has(`${chatId}|2`)).toBe(false);

    // Before the heal deadline the page shows the gap (catch-up tolerates it) and writes nothing.
    const early = await listMessages(ctx, c, chatId, { limit: 50 });
    expect(early.messages.map((m) => m.seq)).toEqual([1, 3]);
    // c's unread already counts the gap as the one message it will become.
    expect((await listChats(ctx, c, { limit: 20 })).chats[0].unreadCount).toBe(3);

    advance(GAP_HEAL_AFTER_MS + 1_000);
    const healed = await listMessages(ctx, c, chatId, { limit: 50 });
    expect(healed.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(healed.messages[1]).toMatchObject({ content: '', senderId: GAP_SENDER, deletedAt: expect.any(String) });
    for (const p of people) {
      const marker = repo.memberMap.get(`${chatId}|${p.userId}`)!.lastReadSeq;
      expect((await listChats(ctx, p, { limit: 20 })).chats[0].unreadCount, p.userId).toBe(exactUnread(repo.messageMap.values(), chatId, p.userId, marker));
    }
    // Paging forward from before the gap (the SDK's catch-up) finds the placeholder too, and a second read writes nothing.
    const writes = repo.messageMap.size;
    expect((await listMessages(ctx, c, chatId, { limit: 50, after: 1 })).messages.map((m) => m.seq)).toEqual([2, 3]);
    expect(repo.messageMap.size).toBe(writes);
  });

  it('heals a gap at the top with the allocated id and sender, and replaces the preview of the message that never came', async () => {
    const { ctx, repo, people, chatId, advance } = await group(2);
    await sendMessage(ctx, people[0], chatId, { content: 'one' });
    const put = repo.messages.putAtomically;
    repo.messages.putAtomically = async () => {
      throw new Error('function killed');
    };
    await expect(sendMessage(ctx, people[1], chatId, { content: 'never stored' })).rejects.toThrow();
    repo.messages.putAtomically = put;
    const allocated = repo.chatMap.get(chatId)!.lastMessage!;
    expect(allocated).toMatchObject({ seq: 2, senderId: 'u1' });

    advance(GAP_HEAL_AFTER_MS + 1_000);
    const page = await listMessages(ctx, people[0], chatId, { limit: 50 });
    expect(page.messages.map((m) => [m.seq, m.id, m.senderId, m.content])).toEqual([
      [1, expect.any(String), 'u0', 'one'],
      [2, allocated.id, 'u1', ''],
    ]);
    expect(repo.chatMap.get(chatId)!.lastMessage).toMatchObject({ id: allocated.id, seq: 2, content: '' });
    // The sender's marker moved alongside the put: their own placeholder is not unread for them.
    expect((await listChats(ctx, people[1], { limit: 20 })).chats[0].unreadCount).toBe(0);
  });

  it('never overwrites a message that arrives late: the placeholder is written only where nothing is stored', async () => {
    const { ctx, repo, people, chatId, advance } = await group(2);
    await sendMessage(ctx, people[0], chatId, { content: 'one' });
    await sendMessage(ctx, people[0], chatId, { content: 'two' });
    advance(GAP_HEAL_AFTER_MS + 1_000);
    const before = [...repo.messageMap.values()].map((m) => m.content);
    expect((await listMessages(ctx, people[1], chatId, { limit: 50 })).messages.map((m) => m.content)).toEqual(['one', 'two']);
    expect([...repo.messageMap.values()].map((m) => m.content)).toEqual(before);
  });
});
