/**
 * Issue 13 item 8 (Medium): a failed participants add still added people.
 * Adding 150 to a group of 900 answered 400 "at most 1000" but committed the
 * first 99. SPEC §6: all or nothing. (The DynamoDB side, where the write is
 * split into transactions of 99, is in test/security/atomic-writes.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { createChat } from '../../functions/domain/chats';
import { addParticipants } from '../../functions/domain/groups';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

describe('participants add is all or nothing', () => {
  it('an add over the group size adds nobody and tells nobody', async () => {
    const m = memoryContext({ limits: { maxGroupSize: 10 } });
    const owner = await user(m.repo, 'owner');
    const ids = Array.from({ length: 15 }, (_, i) => `u${i}`);
    for (const id of ids) await user(m.repo, id);
    const { chat } = await createChat(m.ctx, owner, { type: 'group', participantIds: ids.slice(0, 8) });
    expect(await codeOf(addParticipants(m.ctx, owner, chat.id, { userIds: ids.slice(8, 11) }))).toBe('400 bad_request');
    expect(m.repo.chatMap.get(chat.id)!.participantCount).toBe(9);
    expect([...m.repo.memberMap.values()].filter((x) => x.chatId === chat.id)).toHaveLength(9);
    expect(m.notifier.ofType('participants.added')).toHaveLength(0);
    // Exactly up to the limit works.
    await addParticipants(m.ctx, owner, chat.id, { userIds: ids.slice(8, 9) });
    expect(m.repo.chatMap.get(chat.id)!.participantCount).toBe(10);
  });

  it('an unknown user among them adds nobody', async () => {
    const m = memoryContext();
    const owner = await user(m.repo, 'owner');
    await user(m.repo, 'a');
    await user(m.repo, 'b');
    const { chat } = await createChat(m.ctx, owner, { type: 'group', participantIds: ['a'] });
    expect(await codeOf(addParticipants(m.ctx, owner, chat.id, { userIds: ['b', 'ghost'] }))).toBe('404 not_found');
    expect(m.repo.chatMap.get(chat.id)!.participantCount).toBe(2);
  });
});
