/**
 * Issue 13 item 6 (Medium): only sends were rate limited. While limited for
 * sends, 50/50 edits, 50/50 reaction toggles and 300/300 typing frames went
 * through; one user created 2,000 groups containing a victim in 17 s.
 * SPEC §5: other writes 60/min, chat creations 10/min, participants added
 * 100/min, typing 1 per user per chat per 2 s relayed (extras acked and
 * dropped); 429 with Retry-After.
 */
import { describe, expect, it } from 'vitest';
import { archiveChat, addParticipants, removeParticipant, updateChat } from '../../functions/domain/groups';
import { createAttachment } from '../../functions/domain/attachments';
import { createChat } from '../../functions/domain/chats';
import { typing } from '../../functions/domain/connections';
import { deleteMessage, editMessage, markRead, sendMessage, sendToUser } from '../../functions/domain/messages';
import { setReaction } from '../../functions/domain/reactions';
import type { AppError } from '../../functions/domain/errors';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

async function group(limits = {}) {
  const m = memoryContext({ limits });
  const alice = await user(m.repo, 'alice');
  const bob = await user(m.repo, 'bob');
  const { chat } = await createChat(m.ctx, alice, { type: 'group', participantIds: ['bob'], title: 'g' });
  const { message } = await sendMessage(m.ctx, alice, chat.id, { content: 'hello' });
  return { ...m, alice, bob, chatId: chat.id, message };
}

async function retryAfterOf(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as AppError).retryAfterSeconds;
  }
  return undefined;
}

describe('other writes: 60 a minute per user, then 429 with Retry-After', () => {
  it('edits, reactions and deletes share the budget while sends are limited on their own', async () => {
    const { ctx, advance, alice, chatId, message } = await group({ writesPerMinute: 6, messagesPerMinute: 1 });
    // The send budget is used up (the message above)…
    expect(await codeOf(sendMessage(ctx, alice, chatId, { content: 'x' }))).toBe('429 rate_limited');
    // …and other writes have their own: 6, then 429.
    await editMessage(ctx, alice, chatId, message.id, 'edit 1');
    await editMessage(ctx, alice, chatId, message.id, 'edit 2');
    await setReaction(ctx, alice, chatId, message.id, '👍', true);
    await setReaction(ctx, alice, chatId, message.id, '👍', false);
    await updateChat(ctx, alice, chatId, { title: 'renamed' });
    await archiveChat(ctx, alice, chatId, true);
    expect(await codeOf(editMessage(ctx, alice, chatId, message.id, 'edit 3'))).toBe('429 rate_limited');
    expect(await codeOf(setReaction(ctx, alice, chatId, message.id, '🎉', true))).toBe('429 rate_limited');
    expect(await codeOf(deleteMessage(ctx, alice, chatId, message.id))).toBe('429 rate_limited');
    const retryAfter = await retryAfterOf(createAttachment(ctx, alice, chatId, { filename: 'a.png', contentType: 'image/png', size: 10 }));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Read markers are not counted.
    expect(await codeOf(markRead(ctx, alice, chatId))).toBe('resolved');
    // The next window has a fresh budget.
    advance(60_000);
    expect(await codeOf(deleteMessage(ctx, alice, chatId, message.id))).toBe('resolved');
  });

  it('a refused write stores nothing', async () => {
    const { ctx, repo, alice, chatId, message } = await group({ writesPerMinute: 1 });
    await editMessage(ctx, alice, chatId, message.id, 'first edit');
    expect(await codeOf(editMessage(ctx, alice, chatId, message.id, 'second edit'))).toBe('429 rate_limited');
    expect(repo.messageMap.get(`${chatId}|1`)!.content).toBe('first edit');
  });

  it('a non-participant gets the 404 of a missing chat, never a 429 that would tell them apart', async () => {
    const { ctx, repo, chatId, message } = await group({ writesPerMinute: 1 });
    const mallory = await user(repo, 'mallory');
    for (let i = 0; i < 3; i++) {
      expect(await codeOf(editMessage(ctx, mallory, chatId, message.id, 'x'))).toBe('404 not_found');
      expect(await codeOf(editMessage(ctx, mallory, 'NOSUCHCHAT', message.id, 'x'))).toBe('404 not_found');
    }
  });
});

describe('chat creations: 10 a minute per user', () => {
  it('the 11th group answers 429 and creates nothing; answering an existing chat is free', async () => {
    const m = memoryContext({ limits: { chatCreationsPerMinute: 3 } });
    const spammer = await user(m.repo, 'spammer');
    await user(m.repo, 'victim');
    for (let i = 0; i < 3; i++) await createChat(m.ctx, spammer, { type: 'group', participantIds: ['victim'], title: `spam ${i}` });
    expect(await codeOf(createChat(m.ctx, spammer, { type: 'group', participantIds: ['victim'], title: 'spam 4' }))).toBe('429 rate_limited');
    expect(m.repo.chatMap.size).toBe(3);
    expect(m.notifier.ofType('chat.created')).toHaveLength(3);
    // Idempotent answers (an existing direct chat, sending to a user) take no slot…
    m.advance(60_000);
    const direct = await createChat(m.ctx, spammer, { type: 'direct', participantIds: ['victim'] });
    for (let i = 0; i < 5; i++) expect((await createChat(m.ctx, spammer, { type: 'direct', participantIds: ['victim'] })).chat.id).toBe(direct.chat.id);
    expect((await sendToUser(m.ctx, spammer, { to: 'victim', content: 'hi' })).chat.id).toBe(direct.chat.id);
    // …so two more creations still fit this window.
    await createChat(m.ctx, spammer, { type: 'group', participantIds: ['victim'] });
    await createChat(m.ctx, spammer, { type: 'group', participantIds: ['victim'] });
    expect(await codeOf(createChat(m.ctx, spammer, { type: 'group', participantIds: ['victim'] }))).toBe('429 rate_limited');
  });
});

describe('participants added: 100 a minute per user, counted per person', () => {
  it('an add that would pass the budget adds nobody; a smaller one fits', async () => {
    const m = memoryContext({ limits: { participantAddsPerMinute: 5 } });
    const owner = await user(m.repo, 'owner');
    await user(m.repo, 'first');
    const ids = Array.from({ length: 8 }, (_, i) => `u${i}`);
    for (const id of ids) await user(m.repo, id);
    const { chat } = await createChat(m.ctx, owner, { type: 'group', participantIds: ['first'] });
    await addParticipants(m.ctx, owner, chat.id, { userIds: ids.slice(0, 3) });
    expect(await codeOf(addParticipants(m.ctx, owner, chat.id, { userIds: ids.slice(3, 6) }))).toBe('429 rate_limited');
    expect(m.repo.chatMap.get(chat.id)!.participantCount).toBe(5);
    await addParticipants(m.ctx, owner, chat.id, { userIds: ids.slice(3, 5) });
    expect(m.repo.chatMap.get(chat.id)!.participantCount).toBe(7);
    // Users already in the group cost nothing.
    expect(await codeOf(addParticipants(m.ctx, owner, chat.id, { userIds: ids.slice(0, 5) }))).toBe('resolved');
    // Removals are writes, not adds.
    expect(await codeOf(removeParticipant(m.ctx, owner, chat.id, 'u0'))).toBe('resolved');
  });
});

describe('typing: one relayed per user per chat per 2 s, extras acked and dropped', () => {
  it('a flood of 300 frames relays one per interval to the other participants', async () => {
    const { ctx, notifier, advance, bob, chatId } = await group();
    const results = [];
    for (let i = 0; i < 300; i++) results.push(await typing(ctx, bob, chatId, true));
    expect(results.filter((r) => r.relayed)).toHaveLength(1);
    expect(notifier.ofType('typing')).toHaveLength(1);
    advance(1_999);
    expect((await typing(ctx, bob, chatId, false)).relayed).toBe(false);
    advance(1);
    expect((await typing(ctx, bob, chatId, false)).relayed).toBe(true);
    expect(notifier.ofType('typing')).toHaveLength(2);
  });

  it('is per chat and per user: another chat or another typist is not held back', async () => {
    const { ctx, repo, notifier, alice, bob, chatId } = await group();
    await user(repo, 'carol');
    const other = await createChat(ctx, bob, { type: 'direct', participantIds: ['carol'] });
    expect((await typing(ctx, bob, chatId, true)).relayed).toBe(true);
    expect((await typing(ctx, bob, other.chat.id, true)).relayed).toBe(true);
    expect((await typing(ctx, alice, chatId, true)).relayed).toBe(true);
    expect(notifier.ofType('typing')).toHaveLength(3);
  });

  it('a non-participant gets 404 for every frame, throttled or not', async () => {
    const { ctx, repo, chatId } = await group();
    const mallory = await user(repo, 'mallory');
    for (let i = 0; i < 3; i++) expect(await codeOf(typing(ctx, mallory, chatId, true))).toBe('404 not_found');
  });
});
