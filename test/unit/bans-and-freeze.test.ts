import { describe, expect, it } from 'vitest';
import { banFromChat, listChatBans, unbanFromChat } from '../../functions/domain/chat-bans';
import { createChat } from '../../functions/domain/chats';
import { connect } from '../../functions/domain/connections';
import { addParticipants, updateChat } from '../../functions/domain/groups';
import { editMessage, markRead, sendMessage } from '../../functions/domain/messages';
import { setReaction } from '../../functions/domain/reactions';
import { getUser, putUser } from '../../functions/domain/users';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

async function group() {
  const m = memoryContext();
  const owner = await user(m.repo, 'owner');
  const gadmin = await user(m.repo, 'gadmin');
  const member = await user(m.repo, 'member');
  const other = await user(m.repo, 'other');
  const root = await user(m.repo, 'root', ['admin']);
  const { chat } = await createChat(m.ctx, owner, { type: 'group', participantIds: ['member', 'other'], title: 'G' });
  await addParticipants(m.ctx, owner, chat.id, { userIds: ['gadmin'], role: 'admin' });
  m.notifier.sent.splice(0);
  return { ...m, owner, gadmin, member, other, root, chatId: chat.id };
}

describe('platform bans (SPEC §9)', () => {
  it('bans: sends refused with 403 banned, open connections closed, new ones refused; lifted with banned:false', async () => {
    const { ctx, repo, notifier, audit, member, root, chatId } = await group();
    await connect(ctx, member, 'c1', 3600);
    await connect(ctx, member, 'c2', 3600);
    const banned = await putUser(ctx, 'member', { banned: true, bannedReason: 'spam' }, root);
    expect(banned).toMatchObject({ id: 'member', name: 'MEMBER', banned: true, bannedReason: 'spam' });
    expect(notifier.closed.sort()).toEqual(['c1', 'c2']);
    expect(repo.connectionMap.size).toBe(0);
    expect(await codeOf(sendMessage(ctx, member, chatId, { content: 'hi' }))).toBe('403 banned');
    expect(await codeOf(connect(ctx, member, 'c3', 3600))).toBe('403 banned');
    expect(repo.connectionMap.has('c3')).toBe(false);
    expect(audit.of('user.banned')).toEqual([expect.objectContaining({ actorId: 'root', action: 'user.banned', target: { type: 'user', id: 'member' } })]);

    await putUser(ctx, 'member', { banned: false }, root);
    expect((await sendMessage(ctx, member, chatId, { content: 'back' })).message.content).toBe('back');
  });

  it('shows banned to admins only, and keeps the name when only banned is given', async () => {
    const { ctx, member, root } = await group();
    await putUser(ctx, 'other', { banned: true }, root);
    expect(await getUser(ctx, root, 'other')).toMatchObject({ name: 'OTHER', banned: true });
    expect(await getUser(ctx, member, 'other')).not.toHaveProperty('banned');
    expect((await getUser(ctx, root, 'member')).banned).toBe(false);
  });

  it('refuses banning oneself (400) and unknown users (404)', async () => {
    const { ctx, root } = await group();
    expect(await codeOf(putUser(ctx, 'root', { banned: true }, root))).toBe('400 bad_request');
    expect(await codeOf(putUser(ctx, 'ghost', { banned: true }, root))).toBe('404 not_found');
  });
});

describe('group bans (SPEC §9)', () => {
  it('removes the user (participant.removed to all and to them) and answers 409 banned on re-adding, until unbanned', async () => {
    const { ctx, notifier, owner, chatId } = await group();
    const { ban } = await banFromChat(ctx, owner, chatId, { userId: 'member', reason: 'rude' });
    expect(ban).toMatchObject({ userId: 'member', reason: 'rude', bannedBy: 'owner' });
    const [removed] = notifier.ofType('participant.removed');
    expect(removed.event).toMatchObject({ type: 'participant.removed', chatId, userId: 'member' });
    expect(removed.userIds.sort()).toEqual(['gadmin', 'member', 'other', 'owner']);
    expect(await codeOf(addParticipants(ctx, owner, chatId, { userIds: ['member'] }))).toBe('409 banned');
    expect((await listChatBans(ctx, owner, chatId)).bans.map((b) => b.userId)).toEqual(['member']);
    await unbanFromChat(ctx, owner, chatId, 'member');
    await unbanFromChat(ctx, owner, chatId, 'member');
    expect((await addParticipants(ctx, owner, chatId, { userIds: ['member'] })).participants!.map((p) => p.userId)).toContain('member');
  });

  it('lets a ban lapse at expiresAt', async () => {
    const { ctx, owner, chatId, advance } = await group();
    const expiresAt = new Date(ctx.now().getTime() + 60_000).toISOString();
    await banFromChat(ctx, owner, chatId, { userId: 'member', expiresAt });
    expect(await codeOf(addParticipants(ctx, owner, chatId, { userIds: ['member'] }))).toBe('409 banned');
    advance(61_000);
    expect((await listChatBans(ctx, owner, chatId)).bans).toEqual([]);
    await addParticipants(ctx, owner, chatId, { userIds: ['member'] });
  });

  it('enforces who may ban whom: never the owner; a group admin cannot ban an admin; members cannot ban', async () => {
    const { ctx, repo, owner, gadmin, member, root, chatId } = await group();
    expect(await codeOf(banFromChat(ctx, gadmin, chatId, { userId: 'owner' }))).toBe('403 forbidden');
    expect(await codeOf(banFromChat(ctx, root, chatId, { userId: 'owner' }))).toBe('403 forbidden');
    await user(repo, 'gadmin2');
    await addParticipants(ctx, owner, chatId, { userIds: ['gadmin2'], role: 'admin' });
    expect(await codeOf(banFromChat(ctx, gadmin, chatId, { userId: 'gadmin2' }))).toBe('403 forbidden');
    expect(await codeOf(banFromChat(ctx, member, chatId, { userId: 'other' }))).toBe('403 forbidden');
    expect(await codeOf(listChatBans(ctx, member, chatId))).toBe('403 forbidden');
    expect(await codeOf(unbanFromChat(ctx, member, chatId, 'other'))).toBe('403 forbidden');
    expect(await codeOf(banFromChat(ctx, owner, chatId, { userId: 'owner' }))).toBe('400 bad_request');
    expect(await codeOf(banFromChat(ctx, owner, chatId, { userId: 'other', expiresAt: '2000-01-01T00:00:00Z' }))).toBe('400 bad_request');
    // The owner bans admins; a group admin bans members.
    await banFromChat(ctx, owner, chatId, { userId: 'gadmin2' });
    await banFromChat(ctx, gadmin, chatId, { userId: 'other' });
  });
});

describe('freezing (SPEC §9)', () => {
  it('lets the owner freeze: sends, edits and reactions answer 403 chat_frozen except for admins; reads and markers work; chat.updated carries frozen', async () => {
    const { ctx, notifier, owner, member, root, chatId } = await group();
    const { message } = await sendMessage(ctx, member, chatId, { content: 'before' });
    const chat = await updateChat(ctx, owner, chatId, { frozen: true });
    expect(chat.frozen).toBe(true);
    expect(notifier.ofType('chat.updated').at(-1)!.event).toMatchObject({ chat: { frozen: true } });
    expect(await codeOf(sendMessage(ctx, member, chatId, { content: 'x' }))).toBe('403 chat_frozen');
    expect(await codeOf(sendMessage(ctx, owner, chatId, { content: 'x' }))).toBe('403 chat_frozen');
    expect(await codeOf(editMessage(ctx, member, chatId, message.id, 'y'))).toBe('403 chat_frozen');
    expect(await codeOf(setReaction(ctx, owner, chatId, message.id, 'like', true))).toBe('403 chat_frozen');
    expect((await markRead(ctx, owner, chatId)).lastReadSeq).toBe(1);
    await addParticipants(ctx, owner, chatId, { userIds: ['root'] });
    expect((await sendMessage(ctx, root, chatId, { content: 'admin note' })).message.seq).toBe(2);
    expect((await updateChat(ctx, owner, chatId, { frozen: false })).frozen).toBe(false);
    expect((await sendMessage(ctx, member, chatId, { content: 'after' })).message.seq).toBe(3);
  });

  it('refuses members (403); only admins freeze direct chats', async () => {
    const { ctx, owner, member, root, chatId } = await group();
    expect(await codeOf(updateChat(ctx, member, chatId, { frozen: true }))).toBe('403 forbidden');
    const { chat } = await createChat(ctx, owner, { type: 'direct', participantIds: ['member'] });
    expect(await codeOf(updateChat(ctx, owner, chat.id, { frozen: true }))).toBe('403 forbidden');
    expect((await updateChat(ctx, root, chat.id, { frozen: true })).frozen).toBe(true);
    expect(await codeOf(sendMessage(ctx, member, chat.id, { content: 'x' }))).toBe('403 chat_frozen');
  });
});
