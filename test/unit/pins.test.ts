/** SPEC §4 pins on the in-memory ports: roles, idempotency, the limit of 50, events, order. */
import { describe, expect, it } from 'vitest';
import { createChat } from '../../functions/domain/chats';
import { addParticipants } from '../../functions/domain/groups';
import { deleteMessage, sendMessage } from '../../functions/domain/messages';
import { listPins, MAX_PINS_PER_CHAT, setPinned } from '../../functions/domain/pins';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

async function setup() {
  const m = memoryContext({ limits: { messagesPerMinute: 1000, writesPerMinute: 1000 } });
  const [owner, member, other, root, stranger] = await Promise.all([
    user(m.repo, 'owner'),
    user(m.repo, 'member'),
    user(m.repo, 'other'),
    user(m.repo, 'root', ['admin']),
    user(m.repo, 'stranger'),
  ]);
  const { chat: group } = await createChat(m.ctx, owner, { type: 'group', participantIds: ['member'] });
  const { chat: direct } = await createChat(m.ctx, member, { type: 'direct', participantIds: ['other'] });
  return { ...m, owner, member, other, root, stranger, groupId: group.id, directId: direct.id };
}

describe('pins', () => {
  it('lets group owners/admins, direct participants and platform admins pin; refuses members (403) and outsiders (404)', async () => {
    const { ctx, owner, member, other, root, stranger, groupId, directId } = await setup();
    const { message } = await sendMessage(ctx, member, groupId, { content: 'pin me' });
    expect(await codeOf(setPinned(ctx, member, groupId, message.id, true))).toBe('403 forbidden');
    expect(await codeOf(setPinned(ctx, stranger, groupId, message.id, true))).toBe('404 not_found');
    expect((await setPinned(ctx, owner, groupId, message.id, true)).message).toMatchObject({ pinnedBy: 'owner', pinnedAt: expect.any(String) });
    expect((await setPinned(ctx, root, groupId, message.id, false)).message.pinnedAt).toBeUndefined();
    await addParticipants(ctx, owner, groupId, { userIds: ['other'], role: 'admin' });
    expect((await setPinned(ctx, other, groupId, message.id, true)).message.pinnedBy).toBe('other');

    const { message: dm } = await sendMessage(ctx, member, directId, { content: 'in direct' });
    expect((await setPinned(ctx, other, directId, dm.id, true)).message.pinnedBy).toBe('other');
    expect(await codeOf(setPinned(ctx, member, directId, 'missing-id', true))).toBe('404 not_found');
  });

  it('is idempotent, emits message.pinned once per change, and lists most recently pinned first', async () => {
    const { ctx, notifier, owner, groupId, advance } = await setup();
    const a = (await sendMessage(ctx, owner, groupId, { content: 'a' })).message;
    const b = (await sendMessage(ctx, owner, groupId, { content: 'b' })).message;
    notifier.sent.splice(0);
    await setPinned(ctx, owner, groupId, b.id, true);
    advance(1000);
    await setPinned(ctx, owner, groupId, a.id, true);
    await setPinned(ctx, owner, groupId, a.id, true);
    expect(notifier.ofType('message.pinned').map((s) => s.event)).toEqual([
      { type: 'message.pinned', chatId: groupId, messageId: b.id, seq: 2, pinned: true, pinnedBy: 'owner', pinnedAt: '2026-01-01T00:00:00.000Z', at: '2026-01-01T00:00:00.000Z' },
      { type: 'message.pinned', chatId: groupId, messageId: a.id, seq: 1, pinned: true, pinnedBy: 'owner', pinnedAt: '2026-01-01T00:00:01.000Z', at: '2026-01-01T00:00:01.000Z' },
    ]);
    expect((await listPins(ctx, owner, groupId)).messages.map((m) => m.content)).toEqual(['a', 'b']);
    await setPinned(ctx, owner, groupId, b.id, false);
    await setPinned(ctx, owner, groupId, b.id, false);
    expect(notifier.ofType('message.pinned')).toHaveLength(3);
    expect((await listPins(ctx, owner, groupId)).messages.map((m) => m.id)).toEqual([a.id]);
  });

  it(`keeps at most ${MAX_PINS_PER_CHAT} pins per chat (409), never pins a deleted message (409)`, async () => {
    const { ctx, owner, groupId } = await setup();
    const ids: string[] = [];
    for (let i = 0; i <= MAX_PINS_PER_CHAT; i++) ids.push((await sendMessage(ctx, owner, groupId, { content: `m${i}` })).message.id);
    for (const id of ids.slice(0, MAX_PINS_PER_CHAT)) await setPinned(ctx, owner, groupId, id, true);
    expect(await codeOf(setPinned(ctx, owner, groupId, ids[MAX_PINS_PER_CHAT], true))).toBe('409 conflict');
    await setPinned(ctx, owner, groupId, ids[0], false);
    await deleteMessage(ctx, owner, groupId, ids[MAX_PINS_PER_CHAT]);
    expect(await codeOf(setPinned(ctx, owner, groupId, ids[MAX_PINS_PER_CHAT], true))).toBe('409 conflict');
    expect((await listPins(ctx, owner, groupId)).messages).toHaveLength(MAX_PINS_PER_CHAT - 1);
  });
});
