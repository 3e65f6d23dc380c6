import { describe, expect, it } from 'vitest';
import { createChat, getChat, getStats, listChats } from '../../functions/domain/chats';
import { sendMessage } from '../../functions/domain/messages';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';


describe('createChat', () => {
  it('creates a direct chat once per pair, whichever side asks', async () => {
    const { ctx, repo } = memoryContext();
    const alice = await user(repo, 'alice');
    const bob = await user(repo, 'bob');

    const first = await createChat(ctx, alice, { type: 'direct', participantIds: ['bob'] });
    const again = await createChat(ctx, alice, { type: 'direct', participantIds: ['bob', 'alice'] });
    const reverse = await createChat(ctx, bob, { type: 'direct', participantIds: ['alice'] });

    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, chat: { id: first.chat.id } });
    expect(reverse).toMatchObject({ created: false, chat: { id: first.chat.id } });
    expect(first.chat.participants!.map((p) => p.userId).sort()).toEqual(['alice', 'bob']);
    expect(repo.chatMap.size).toBe(1);
  });

  it('yields one chat when the same pair is created concurrently', async () => {
    const { ctx, repo } = memoryContext();
    const alice = await user(repo, 'alice');
    const bob = await user(repo, 'bob');
    const results = await Promise.all([
      createChat(ctx, alice, { type: 'direct', participantIds: ['bob'] }),
      createChat(ctx, bob, { type: 'direct', participantIds: ['alice'] }),
      createChat(ctx, alice, { type: 'direct', participantIds: ['bob'] }),
    ]);
    expect(new Set(results.map((r) => r.chat.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('keeps a context chat apart from the plain direct chat of the same pair', async () => {
    const { ctx, repo } = memoryContext();
    const alice = await user(repo, 'alice');
    await user(repo, 'bob');
    const plain = await createChat(ctx, alice, { type: 'direct', participantIds: ['bob'] });
    const context = await createChat(ctx, alice, { type: 'direct', participantIds: ['bob'], context: { type: 'purchase', id: 'p1' } });
    const contextAgain = await createChat(ctx, alice, { type: 'direct', participantIds: ['bob'], context: { type: 'purchase', id: 'p1' } });
    expect(context.chat.id).not.toBe(plain.chat.id);
    expect(contextAgain).toMatchObject({ created: false, chat: { id: context.chat.id } });
  });

  it('never answers a context chat to someone outside it: other people, another chat', async () => {
    const { ctx, repo } = memoryContext();
    const alice = await user(repo, 'alice');
    await user(repo, 'bob');
    const mallory = await user(repo, 'mallory');
    const theirs = await createChat(ctx, alice, { type: 'group', participantIds: ['bob'], context: { type: 'project', id: 'x' } });
    const mine = await createChat(ctx, mallory, { type: 'group', participantIds: ['bob'], context: { type: 'project', id: 'x' } });
    expect(mine.created).toBe(true);
    expect(mine.chat.id).not.toBe(theirs.chat.id);
    expect(mine.chat.participants!.map((p) => p.userId).sort()).toEqual(['bob', 'mallory']);
  });

  it('validates participants', async () => {
    const { ctx, repo } = memoryContext({ limits: { maxGroupSize: 3 } });
    const alice = await user(repo, 'alice');
    await user(repo, 'bob');
    await user(repo, 'carol');
    await user(repo, 'dave');
    expect(await codeOf(createChat(ctx, alice, { type: 'direct', participantIds: ['alice'] }))).toBe('400 bad_request');
    expect(await codeOf(createChat(ctx, alice, { type: 'direct', participantIds: ['bob', 'carol'] }))).toBe('400 bad_request');
    expect(await codeOf(createChat(ctx, alice, { type: 'direct', participantIds: ['ghost'] }))).toBe('404 not_found');
    expect(await codeOf(createChat(ctx, alice, { type: 'group', participantIds: ['bob', 'carol', 'dave'] }))).toBe('400 bad_request');
    const group = await createChat(ctx, alice, { type: 'group', participantIds: ['bob', 'carol'], title: 'Team' });
    expect(group.chat.participants!.find((p) => p.userId === 'alice')!.role).toBe('owner');
    expect(group.chat.participants!.find((p) => p.userId === 'bob')!.role).toBe('member');
  });

  it('tells every participant, the creator\'s other devices included, with chat.created', async () => {
    const { ctx, repo, notifier } = memoryContext();
    const alice = await user(repo, 'alice');
    await user(repo, 'bob');
    await user(repo, 'carol');
    const { chat } = await createChat(ctx, alice, { type: 'group', participantIds: ['bob', 'carol'] });
    const [created] = notifier.ofType('chat.created');
    expect(created.userIds.sort()).toEqual(['alice', 'bob', 'carol']);
    expect(created.event).toMatchObject({ chat: { id: chat.id } });
  });
});

describe('getChat', () => {
  it('answers 404 to non-participants and the chat to participants and admins', async () => {
    const { ctx, repo } = memoryContext();
    const alice = await user(repo, 'alice');
    await user(repo, 'bob');
    const mallory = await user(repo, 'mallory');
    const admin = await user(repo, 'root', ['admin']);
    const { chat } = await createChat(ctx, alice, { type: 'direct', participantIds: ['bob'] });
    expect(await codeOf(getChat(ctx, mallory, chat.id))).toBe('404 not_found');
    expect(await codeOf(getChat(ctx, mallory, 'NOPE'))).toBe('404 not_found');
    expect((await getChat(ctx, alice, chat.id)).id).toBe(chat.id);
    expect((await getChat(ctx, admin, chat.id)).participants).toHaveLength(2);
  });
});

describe('listChats and stats', () => {
  async function world(chatCount: number) {
    const m = memoryContext();
    const alice = await user(m.repo, 'alice');
    const chats: string[] = [];
    for (let i = 0; i < chatCount; i++) {
      const other = await user(m.repo, `u${i}`);
      chats.push((await createChat(m.ctx, other, { type: 'direct', participantIds: ['alice'] })).chat.id);
      m.advance(1000);
    }
    return { ...m, alice, chats };
  }

  it('orders by latest activity and counts unread from the read marker', async () => {
    const { ctx, repo, alice, chats, advance } = await world(3);
    const u0 = (await repo.users.get('u0'))!;
    await sendMessage(ctx, { userId: 'u0', name: u0.name, roles: ['user'] }, chats[0], { content: 'hi' });
    advance(1000);
    await sendMessage(ctx, { userId: 'u0', name: u0.name, roles: ['user'] }, chats[0], { content: 'there' });
    const { chats: listed } = await listChats(ctx, alice, { limit: 20 });
    expect(listed.map((c) => c.id)).toEqual([chats[0], chats[2], chats[1]]);
    expect(listed[0]).toMatchObject({ unreadCount: 2, lastSeq: 2, lastMessage: { content: 'there', senderId: 'u0' } });
    expect(listed[1].unreadCount).toBe(0);
    expect(await getStats(ctx, alice)).toEqual({ chats: 3, unreadChats: 1, unreadMessages: 2, unreadMentions: 0 });
  });

  it('pages with a cursor without repeating or skipping chats', async () => {
    const { ctx, alice, chats } = await world(7);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listChats(ctx, alice, { limit: 3, cursor });
      seen.push(...page.chats.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...chats].reverse());
  });

  it('rejects a garbled cursor with 400', async () => {
    const { ctx, alice } = await world(1);
    expect(await codeOf(listChats(ctx, alice, { limit: 3, cursor: 'not-a-cursor' }))).toBe('400 bad_request');
  });
});
