/**
 * SPEC §8 offline notifications: the coalescing rule as a pure function,
 * then through `sendMessage` on the in-memory ports (levels, mentions,
 * catching up by reading or by connecting again, blocks, system messages,
 * PUSH_PREVIEW=none, concurrent sends).
 */
import { describe, expect, it } from 'vitest';
import { createChat, getChat, getStats, listChats } from '../../functions/domain/chats';
import { connect, disconnect } from '../../functions/domain/connections';
import { archiveChat } from '../../functions/domain/groups';
import { blockUser } from '../../functions/domain/blocks';
import { deleteMessage, editMessage, markRead, sendMessage } from '../../functions/domain/messages';
import { notificationDecision, setNotificationLevel } from '../../functions/domain/notifications';
import type { OfflineNotification } from '../../functions/domain/ports';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

describe('notificationDecision (the coalescing rule)', () => {
  const base = { lastReadSeq: 0 };
  it.each([
    ['never notified', { membership: base, mentioned: false, blocked: false }, 'notify'],
    ['not a participant any more', { membership: undefined, mentioned: true, blocked: false }, 'not-a-member'],
    ['level none, even when mentioned', { membership: { ...base, notificationLevel: 'none' as const }, mentioned: true, blocked: false }, 'level'],
    ['level mentions, not mentioned', { membership: { ...base, notificationLevel: 'mentions' as const }, mentioned: false, blocked: false }, 'level'],
    ['level mentions, mentioned', { membership: { ...base, notificationLevel: 'mentions' as const }, mentioned: true, blocked: false }, 'notify'],
    ['blocked sender', { membership: base, mentioned: true, blocked: true }, 'blocked'],
    ['notified, not caught up', { membership: { lastReadSeq: 2, notifiedSeq: 3, notifiedAt: 'T1' }, mentioned: false, blocked: false }, 'coalesced'],
    ['notified, read up to it', { membership: { lastReadSeq: 3, notifiedSeq: 3, notifiedAt: 'T1' }, mentioned: false, blocked: false }, 'notify'],
    ['notified, connected again since', { membership: { lastReadSeq: 0, notifiedSeq: 3, notifiedAt: 'T1' }, lastSeenAt: 'T2', mentioned: false, blocked: false }, 'notify'],
    ['notified, last seen before it', { membership: { lastReadSeq: 0, notifiedSeq: 3, notifiedAt: 'T2' }, lastSeenAt: 'T1', mentioned: false, blocked: false }, 'coalesced'],
    ['notified, not caught up, but mentioned', { membership: { lastReadSeq: 0, notifiedSeq: 3, notifiedAt: 'T1' }, mentioned: true, blocked: false }, 'notify'],
  ])('%s → %s', (_name, input, expected) => {
    expect(notificationDecision(input)).toBe(expected);
  });
});

async function group() {
  const m = memoryContext();
  const [ada, bob, cy] = await Promise.all(['ada', 'bob', 'cy'].map((id) => user(m.repo, id)));
  const { chat } = await createChat(m.ctx, ada, { type: 'group', participantIds: ['bob', 'cy'], title: 'Team' });
  return { ...m, ada, bob, cy, chatId: chat.id };
}

const forUser = (published: OfflineNotification[], userId: string) => published.filter((n) => n.recipientId === userId);

describe('offline notifications through sendMessage', () => {
  it('notifies once per chat until the recipient reads past the notified message', async () => {
    const { ctx, offline, ada, bob, chatId } = await group();
    for (let i = 1; i <= 10; i++) await sendMessage(ctx, ada, chatId, { content: `burst ${i}` });
    expect(forUser(offline.published, 'bob')).toEqual([
      { recipientId: 'bob', chatId, chatTitle: 'Team', messageId: expect.any(String), seq: 1, senderId: 'ada', senderName: 'ADA', preview: 'burst 1', mentioned: false, unreadCount: 1 },
    ]);
    // Reading up to seq 1 is "caught up" with the notified message: the next message notifies again.
    await markRead(ctx, bob, chatId, 1);
    await sendMessage(ctx, ada, chatId, { content: 'after reading' });
    expect(forUser(offline.published, 'bob').map((n) => [n.seq, n.unreadCount])).toEqual([
      [1, 1],
      [11, 10],
    ]);
  });

  it('notifies again after the recipient connected and left again', async () => {
    const { ctx, offline, ada, bob, chatId, advance } = await group();
    await sendMessage(ctx, ada, chatId, { content: 'one' });
    advance(1000);
    await sendMessage(ctx, ada, chatId, { content: 'two' });
    expect(forUser(offline.published, 'bob')).toHaveLength(1);
    // Online: nothing. Then offline again: the next message notifies.
    advance(1000);
    await connect(ctx, bob, 'bob-1', 3600);
    await sendMessage(ctx, ada, chatId, { content: 'while online' });
    advance(1000);
    await disconnect(ctx, 'bob-1');
    advance(1000);
    await sendMessage(ctx, ada, chatId, { content: 'gone again' });
    expect(forUser(offline.published, 'bob').map((n) => n.preview)).toEqual(['one', 'gone again']);
  });

  it('always notifies a mention (unless level none), counts unreadMentions exactly, and keeps `mentions` on the message', async () => {
    const { ctx, offline, ada, bob, cy, chatId } = await group();
    await sendMessage(ctx, ada, chatId, { content: 'hello' });
    const { message } = await sendMessage(ctx, ada, chatId, { content: '@bob look', mentions: ['bob', 'bob'] });
    expect(message.mentions).toEqual(['bob']);
    await sendMessage(ctx, ada, chatId, { content: '@bob again', mentions: ['bob'] });
    expect(forUser(offline.published, 'bob').map((n) => [n.seq, n.mentioned])).toEqual([
      [1, false],
      [2, true],
      [3, true],
    ]);
    expect(forUser(offline.published, 'cy').map((n) => n.seq)).toEqual([1]);
    expect((await getChat(ctx, bob, chatId)).unreadMentions).toBe(2);
    expect((await listChats(ctx, bob, { limit: 20 })).chats[0].unreadMentions).toBe(2);
    expect(await getStats(ctx, bob)).toMatchObject({ unreadMessages: 3, unreadMentions: 2 });
    expect((await getChat(ctx, cy, chatId)).unreadMentions).toBe(0);
    await markRead(ctx, bob, chatId, 2);
    expect((await getChat(ctx, bob, chatId)).unreadMentions).toBe(1);
    await markRead(ctx, bob, chatId);
    expect(await getStats(ctx, bob)).toMatchObject({ unreadMessages: 0, unreadMentions: 0 });

    await setNotificationLevel(ctx, bob, chatId, 'none');
    await sendMessage(ctx, ada, chatId, { content: '@bob muted', mentions: ['bob'] });
    expect(forUser(offline.published, 'bob')).toHaveLength(3);
  });

  it('refuses mentions of non-participants and more than 20 (400), storing nothing', async () => {
    const { ctx, repo, ada, chatId } = await group();
    await user(repo, 'zed');
    expect(await codeOf(sendMessage(ctx, ada, chatId, { content: 'x', mentions: ['zed'] }))).toBe('400 bad_request');
    expect(await codeOf(sendMessage(ctx, ada, chatId, { content: 'x', mentions: Array.from({ length: 21 }, (_, i) => `u${i}`) }))).toBe('400 bad_request');
    expect(repo.messageMap.size).toBe(0);
  });

  it('honours the mentions level, never notifies about system messages, and skips recipients who blocked the sender', async () => {
    const { ctx, offline, repo, ada, bob, cy, chatId } = await group();
    const root = await user(repo, 'root', ['admin']);
    await setNotificationLevel(ctx, bob, chatId, 'mentions');
    await sendMessage(ctx, ada, chatId, { content: 'plain' });
    await sendMessage(ctx, root, chatId, { content: 'maintenance tonight', type: 'system' });
    expect(forUser(offline.published, 'bob')).toEqual([]);
    await sendMessage(ctx, ada, chatId, { content: '@bob', mentions: ['bob'] });
    expect(forUser(offline.published, 'bob')).toHaveLength(1);
    // SPEC §9 from the blocker's side: cy blocks ada, then reads up; ada's mention of cy neither notifies nor counts.
    await blockUser(ctx, cy, 'ada');
    await markRead(ctx, cy, chatId);
    await sendMessage(ctx, ada, chatId, { content: '@cy', mentions: ['cy'] });
    expect(forUser(offline.published, 'cy').map((n) => n.seq)).toEqual([1]);
    expect((await getChat(ctx, cy, chatId)).unreadMentions).toBe(0);
    expect(await getStats(ctx, cy)).toMatchObject({ unreadMentions: 0 });
    expect((await getChat(ctx, cy, chatId)).notificationLevel).toBe('all');
    expect((await getChat(ctx, bob, chatId)).notificationLevel).toBe('mentions');
  });

  it('an edit recomputes mentions: newly mentioned count and are notified, removed ones stop counting, readers and blockers are left alone', async () => {
    const { ctx, offline, ada, bob, cy, chatId } = await group();
    const dan = await user(ctx.repo as never, 'dan');
    const { addParticipants } = await import('../../functions/domain/groups');
    await addParticipants(ctx, ada, chatId, { userIds: ['dan'] });
    await blockUser(ctx, dan, 'ada');
    const { message } = await sendMessage(ctx, ada, chatId, { content: 'hi @cy', mentions: ['cy'] });
    await sendMessage(ctx, ada, chatId, { content: 'later' });
    expect(forUser(offline.published, 'bob').map((n) => [n.seq, n.mentioned])).toEqual([[1, false]]);
    expect((await getChat(ctx, cy, chatId)).unreadMentions).toBe(1);

    // Bob is newly mentioned and has not read it; cy is no longer mentioned; dan blocks ada.
    const { message: edited } = await editMessage(ctx, ada, chatId, message.id, 'hi @bob @dan', ['bob', 'dan']);
    expect(edited.mentions).toEqual(['bob', 'dan']);
    // Bob was notified about seq 1 already (a notification about this message or a later one reached him): no second one.
    expect(forUser(offline.published, 'bob')).toHaveLength(1);
    expect((await getChat(ctx, bob, chatId)).unreadMentions).toBe(1);
    expect((await listChats(ctx, bob, { limit: 20 })).chats[0].unreadMentions).toBe(1);
    expect(await getStats(ctx, bob)).toMatchObject({ unreadMentions: 1 });
    expect((await getChat(ctx, cy, chatId)).unreadMentions).toBe(0);
    expect(await getStats(ctx, cy)).toMatchObject({ unreadMentions: 0 });
    expect((await getChat(ctx, dan, chatId)).unreadMentions).toBe(0);
    expect(forUser(offline.published, 'dan')).toEqual([]);

    // A mention added to the newest message notifies (the rule for mentions), with the unread count up to the chat's latest seq.
    const { message: newest } = await sendMessage(ctx, bob, chatId, { content: 'bob speaks' });
    await markRead(ctx, cy, chatId, 1);
    const third = (await sendMessage(ctx, ada, chatId, { content: 'plain' })).message;
    expect(forUser(offline.published, 'cy').map((n) => n.seq)).toEqual([1, 4]);
    await editMessage(ctx, ada, chatId, third.id, 'plain @cy', ['cy']);
    expect(forUser(offline.published, 'cy').map((n) => [n.seq, n.mentioned])).toEqual([[1, true], [4, false]]);
    // Cy was notified about seq 4 = this message: no second one. Bob reads everything, then is added to a message he read: no count.
    await markRead(ctx, bob, chatId);
    await editMessage(ctx, ada, chatId, third.id, 'plain @cy @bob', ['cy', 'bob']);
    expect((await getChat(ctx, bob, chatId)).unreadMentions).toBe(0);
    expect((await getChat(ctx, cy, chatId)).unreadMentions).toBe(1);
    expect(newest.seq).toBe(3);

    // Absent mentions keep them; a newly mentioned non-participant is 400 and changes nothing.
    expect((await editMessage(ctx, ada, chatId, third.id, 'plain again')).message.mentions).toEqual(['cy', 'bob']);
    await user(ctx.repo as never, 'zed');
    expect(await codeOf(editMessage(ctx, ada, chatId, third.id, 'x', ['zed']))).toBe('400 bad_request');
    expect((await editMessage(ctx, ada, chatId, third.id, 'none', [])).message.mentions).toEqual([]);
    expect((await getChat(ctx, cy, chatId)).unreadMentions).toBe(0);
  });

  it('an edit that mentions an offline participant not notified since notifies them, mentioned', async () => {
    const { ctx, offline, ada, bob, chatId } = await group();
    await sendMessage(ctx, ada, chatId, { content: 'one' });
    await markRead(ctx, bob, chatId);
    const { message } = await sendMessage(ctx, bob, chatId, { content: 'bob here' });
    // Ada answers; bob is online then, so nobody notifies him; then he leaves.
    await connect(ctx, bob, 'bob-1', 3600);
    const { message: reply } = await sendMessage(ctx, ada, chatId, { content: 'sure' });
    await disconnect(ctx, 'bob-1');
    expect(forUser(offline.published, 'bob').map((n) => n.seq)).toEqual([1]);
    await editMessage(ctx, ada, chatId, reply.id, 'sure @bob', ['bob']);
    expect(forUser(offline.published, 'bob').map((n) => [n.seq, n.mentioned, n.unreadCount])).toEqual([
      [1, false, 1],
      [3, true, 1],
    ]);
    expect((await getChat(ctx, bob, chatId)).unreadMentions).toBe(1);
    expect(message.seq).toBe(2);
  });

  it('deleting a message drops it from unreadMentions in the chat, the list and the stats, never below 0', async () => {
    const { ctx, ada, bob, chatId } = await group();
    const { message } = await sendMessage(ctx, ada, chatId, { content: '@bob one', mentions: ['bob'] });
    await sendMessage(ctx, ada, chatId, { content: '@bob two', mentions: ['bob'] });
    expect(await getStats(ctx, bob)).toMatchObject({ unreadMentions: 2 });
    await deleteMessage(ctx, ada, chatId, message.id);
    await deleteMessage(ctx, ada, chatId, message.id);
    expect((await getChat(ctx, bob, chatId)).unreadMentions).toBe(1);
    expect((await listChats(ctx, bob, { limit: 20 })).chats[0].unreadMentions).toBe(1);
    expect(await getStats(ctx, bob)).toMatchObject({ unreadMentions: 1 });
    // Read past, then deleted: nothing to drop, still 0.
    await markRead(ctx, bob, chatId);
    const { message: read } = await sendMessage(ctx, ada, chatId, { content: '@bob three', mentions: ['bob'] });
    await markRead(ctx, bob, chatId);
    await deleteMessage(ctx, ada, chatId, read.id);
    expect(await getStats(ctx, bob)).toMatchObject({ unreadMentions: 0 });
  });

  it('sends one notification per recipient when sends race', async () => {
    const { ctx, offline, ada, cy, chatId } = await group();
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => sendMessage(ctx, ada, chatId, { content: `ada ${i}` })),
      ...Array.from({ length: 5 }, (_, i) => sendMessage(ctx, cy, chatId, { content: `cy ${i}` })),
    ]);
    expect(forUser(offline.published, 'bob')).toHaveLength(1);
  });

  it('PUSH_PREVIEW=none leaves out the preview, the sender name and the chat title', async () => {
    const m = memoryContext();
    const [ada] = await Promise.all(['ada', 'bob'].map((id) => user(m.repo, id)));
    const ctx = { ...m.ctx, pushPreview: 'none' as const };
    const { chat } = await createChat(ctx, ada, { type: 'group', participantIds: ['bob'], title: 'Dental records' });
    await sendMessage(ctx, ada, chat.id, { content: 'Your x-ray shows a cavity' });
    expect(m.offline.published).toEqual([{ recipientId: 'bob', chatId: chat.id, messageId: expect.any(String), seq: 1, senderId: 'ada', mentioned: false, unreadCount: 1 }]);
  });
});

describe('notification levels', () => {
  it('sets the caller\'s own level (idempotent), emits membership.updated to their own connections only; archive emits it too', async () => {
    const { ctx, notifier, ada, bob, chatId, repo } = await group();
    notifier.sent.splice(0);
    const chat = await setNotificationLevel(ctx, bob, chatId, 'mentions');
    expect(chat.notificationLevel).toBe('mentions');
    expect((await setNotificationLevel(ctx, bob, chatId, 'mentions')).notificationLevel).toBe('mentions');
    expect(notifier.ofType('membership.updated')[0]).toEqual({
      userIds: ['bob'],
      event: { type: 'membership.updated', chatId, archived: false, notificationLevel: 'mentions', at: expect.any(String) },
    });
    expect((await getChat(ctx, ada, chatId)).notificationLevel).toBe('all');
    await archiveChat(ctx, bob, chatId, true);
    expect(notifier.ofType('membership.updated').at(-1)).toMatchObject({ userIds: ['bob'], event: { archived: true, notificationLevel: 'mentions' } });
    const mallory = await user(repo, 'mallory');
    expect(await codeOf(setNotificationLevel(ctx, mallory, chatId, 'none'))).toBe('404 not_found');
  });
});
