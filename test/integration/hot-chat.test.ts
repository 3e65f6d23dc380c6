/**
 * Hot chats on DynamoDB Local (issue 20): many members sending into one chat
 * at once. One atomic `ADD lastSeq` per send allocates the seq, so every
 * send succeeds with the same four writes however many race, seqs are
 * unique and consecutive, and the chat's `lastMessage` is the highest seq.
 * A seq allocated by a send that died is healed into a deleted placeholder
 * by the first history read after it can no longer arrive.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createRepository } from '../../functions/data/repository';
import { createChat, listChats } from '../../functions/domain/chats';
import { GAP_HEAL_AFTER_MS, listMessages, sendMessage } from '../../functions/domain/messages';
import type { Repository } from '../../functions/domain/ports';
import { dynamoContext, freshTable, registerUsers, type CountedDb } from '../support/dynamo';

let db: CountedDb;
let repo: Repository;
beforeAll(async () => {
  db = await freshTable();
  repo = createRepository(db);
});

const WRITES = /^(Put|Update|Delete|TransactWrite|BatchWrite)/;

/**
 * Opens `connections` keep-alive sockets to DynamoDB Local ten at a time. In
 * production each sender is its own function with its own connection; here
 * one client carries them all, and opening 50 at once on a busy machine
 * outlasts the client's 1 s connection timeout, which says nothing about
 * seqs. 50 is the SDK's default socket limit per client.
 */
async function warmConnections(chatId: string, connections: number) {
  for (let n = 10; n <= connections; n += 10) await Promise.all(Array.from({ length: n }, () => repo.messages.get(chatId, 1)));
}

describe.each([10, 50])('%i members sending into one chat at the same instant', (senders) => {
  it('stores every message with unique consecutive seqs, 4 writes each, no failed condition, and the highest seq as lastMessage', async () => {
    const people = await registerUsers(repo, Array.from({ length: senders }, (_, i) => `hot${senders}-${i}`));
    const { ctx } = dynamoContext(db);
    const { chat } = await createChat(ctx, people[0], { type: 'group', title: 'hot', participantIds: people.slice(1).map((p) => p.userId) });
    await warmConnections(chat.id, 50);
    db.reset();
    const results = await Promise.allSettled(people.map((p, i) => sendMessage(ctx, p, chat.id, { content: `from ${i}` })));
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toEqual([]);
    const sent = results.map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof sendMessage>>>).value.message);
    expect(sent.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: senders }, (_, i) => i + 1));
    // Linear: allocation, message, sender's marker, rate counter per send; no retried put.
    // (The offline-notification marks of SPEC §8 are the notification's cost, measured on their own.)
    expect(db.calls.filter((c) => WRITES.test(c.command) && !String(c.input.UpdateExpression ?? '').includes('notifiedSeq'))).toHaveLength(4 * senders);

    const page = await repo.messages.page(chat.id, { limit: 100 });
    expect(page.messages.map((m) => [m.seq, m.id, m.content])).toEqual([...sent].sort((a, b) => a.seq - b.seq).map((m) => [m.seq, m.id, m.content]));
    const stored = (await repo.chats.getWithMembership(chat.id, people[0].userId)).chat!;
    const top = sent.find((m) => m.seq === senders)!;
    expect(stored.lastSeq).toBe(senders);
    expect(stored.lastMessage).toEqual({ id: top.id, seq: senders, senderId: top.senderId, type: 'text', content: top.content, createdAt: top.createdAt });
    // Unread = messages above the marker sent by others: every sender's own message moved their marker.
    for (const p of people.slice(0, 5)) {
      const marker = (await repo.chats.getWithMembership(chat.id, p.userId)).membership!.lastReadSeq;
      const others = page.messages.filter((m) => m.seq > marker && m.senderId !== p.userId).length;
      expect((await listChats(ctx, p, { limit: 20 })).chats.find((c) => c.id === chat.id)?.unreadCount, p.userId).toBe(others);
    }
  });
});

describe('clientMessageId under contention', () => {
  it('stores one message per clientMessageId when every sender sends each of theirs twice at once', async () => {
    const people = await registerUsers(repo, Array.from({ length: 8 }, (_, i) => `hotc-${i}`));
    const { ctx } = dynamoContext(db);
    const { chat } = await createChat(ctx, people[0], { type: 'group', title: 'hot', participantIds: people.slice(1).map((p) => p.userId) });
    const sends = people.flatMap((p, i) => [0, 1].map(() => sendMessage(ctx, p, chat.id, { content: `m${i}`, clientMessageId: `cm-${i}` }).catch((e: unknown) => e)));
    const results = await Promise.all(sends);
    const page = await repo.messages.page(chat.id, { limit: 100 });
    // One stored message per clientMessageId; the chat's seqs have no hole.
    expect(page.messages.map((m) => m.clientMessageId).sort()).toEqual(people.map((_, i) => `cm-${i}`).sort());
    expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: 8 }, (_, i) => i + 1));
    // Each answer is the stored message (first or replayed) or a 409 telling the repeat to retry.
    for (const r of results) {
      if (r instanceof Error) expect(r).toMatchObject({ status: 409 });
      else expect(page.messages.map((m) => m.id)).toContain((r as Awaited<ReturnType<typeof sendMessage>>).message.id);
    }
  });
});

describe('a send that died between allocating its seq and storing the message', () => {
  it('leaves a gap that the first history read after the heal deadline fills with a deleted placeholder and a matching preview', async () => {
    const [a, b] = await registerUsers(repo, ['gap-a', 'gap-b']);
    const { ctx } = dynamoContext(db);
    const { chat } = await createChat(ctx, a, { type: 'group', title: 'gap', participantIds: [b.userId] });
    await sendMessage(ctx, a, chat.id, { content: 'one' });
    // The dead send: its allocation happened (and wrote its preview), its put never did.
    const allocated = await repo.chats.allocateSeq(chat.id, { ulid: ctx.newId(), senderId: b.userId, type: 'text', content: 'never stored', createdAt: new Date().toISOString() });
    expect(allocated).toBe(2);
    expect((await listMessages(ctx, a, chat.id, { limit: 50 })).messages.map((m) => m.seq)).toEqual([1]);
    expect((await listChats(ctx, a, { limit: 20 })).chats.find((c) => c.id === chat.id)).toMatchObject({ lastSeq: 2, unreadCount: 1, lastMessage: { seq: 2, content: 'never stored' } });

    const later = { ...ctx, now: () => new Date(Date.now() + GAP_HEAL_AFTER_MS + 1_000) };
    const healed = await listMessages(later, a, chat.id, { limit: 50 });
    expect(healed.messages.map((m) => [m.seq, m.senderId, m.content, Boolean(m.deletedAt)])).toEqual([
      [1, a.userId, 'one', false],
      [2, b.userId, '', true],
    ]);
    // The chat list no longer previews content that was never stored; a's unread is the deleted placeholder.
    const listed = (await listChats(ctx, a, { limit: 20 })).chats.find((c) => c.id === chat.id)!;
    expect(listed).toMatchObject({ lastSeq: 2, unreadCount: 1, lastMessage: { id: healed.messages[1].id, seq: 2, content: '' } });
    // The next send follows the placeholder.
    expect((await sendMessage(ctx, b, chat.id, { content: 'three' })).message.seq).toBe(3);
  });
});
