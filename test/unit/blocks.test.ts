import { describe, expect, it } from 'vitest';
import { blockersOf, blockUser, listBlocks, unblockUser } from '../../functions/domain/blocks';
import { createChat } from '../../functions/domain/chats';
import { connect, typing } from '../../functions/domain/connections';
import { addParticipants } from '../../functions/domain/groups';
import { editMessage, listMessages, sendMessage, sendToUser } from '../../functions/domain/messages';
import type { MessageT } from '../../functions/schemas';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

async function people() {
  const m = memoryContext();
  const ada = await user(m.repo, 'ada');
  const bob = await user(m.repo, 'bob');
  const cyd = await user(m.repo, 'cyd');
  return { ...m, ada, bob, cyd };
}

const placeholder = (m: MessageT) => ({ id: m.id, chatId: m.chatId, seq: m.seq, senderId: m.senderId, hidden: true, content: '', attachments: [] });

describe('blocking (SPEC §9)', () => {
  it('lists blocks with names, oldest first; blocking again and unblocking twice are fine', async () => {
    const { ctx, ada, advance } = await people();
    await blockUser(ctx, ada, 'bob');
    advance(1000);
    await blockUser(ctx, ada, 'cyd');
    await blockUser(ctx, ada, 'bob');
    const { users } = await listBlocks(ctx, ada);
    expect(users.map((u) => [u.id, u.name])).toEqual([['bob', 'BOB'], ['cyd', 'CYD']]);
    expect(users[0].blockedAt < users[1].blockedAt).toBe(true);
    await unblockUser(ctx, ada, 'bob');
    await unblockUser(ctx, ada, 'bob');
    expect((await listBlocks(ctx, ada)).users.map((u) => u.id)).toEqual(['cyd']);
  });

  it('refuses blocking oneself (400) and unknown users (404)', async () => {
    const { ctx, ada } = await people();
    expect(await codeOf(blockUser(ctx, ada, 'ada'))).toBe('400 bad_request');
    expect(await codeOf(blockUser(ctx, ada, 'nobody'))).toBe('404 not_found');
  });

  it('answers 403 blocked for direct chats and `to` sends in both directions, until unblocked', async () => {
    const { ctx, ada, bob } = await people();
    const { chat } = await createChat(ctx, ada, { type: 'direct', participantIds: ['bob'] });
    await blockUser(ctx, bob, 'ada');
    for (const [from, to] of [[ada, 'bob'], [bob, 'ada']] as const) {
      expect(await codeOf(sendMessage(ctx, from, chat.id, { content: 'hi' }))).toBe('403 blocked');
      expect(await codeOf(sendToUser(ctx, from, { to, content: 'hi' }))).toBe('403 blocked');
      expect(await codeOf(createChat(ctx, from, { type: 'direct', participantIds: [to] }))).toBe('403 blocked');
    }
    await unblockUser(ctx, bob, 'ada');
    expect((await sendToUser(ctx, ada, { to: 'bob', content: 'hi again' })).message.content).toBe('hi again');
  });

  it('hides a blocked user\'s messages from the blocker in groups: live, in lists, in search and in reply previews; seq stays contiguous', async () => {
    const { ctx, notifier, ada, bob, cyd } = await people();
    const { chat } = await createChat(ctx, ada, { type: 'group', participantIds: ['bob', 'cyd'], title: 'G' });
    await blockUser(ctx, ada, 'bob');
    notifier.sent.splice(0);
    const fromBob = (await sendMessage(ctx, bob, chat.id, { content: 'secret words' })).message;
    const reply = (await sendMessage(ctx, cyd, chat.id, { content: 'answering', replyTo: fromBob.id })).message;

    const live = notifier.ofType('message.new');
    const toAda = live.filter((s) => s.userIds.includes('ada'));
    const toOthers = live.filter((s) => !s.userIds.includes('ada'));
    expect(toAda[0].event).toMatchObject({ message: placeholder(fromBob) });
    expect(toOthers[0].event).toMatchObject({ message: { content: 'secret words' } });
    expect((toOthers[0].event as { message: MessageT }).message.hidden).toBeUndefined();

    const adaView = (await listMessages(ctx, ada, chat.id, { limit: 50 })).messages;
    expect(adaView.map((m) => m.seq)).toEqual([1, 2]);
    expect(adaView[0]).toMatchObject(placeholder(fromBob));
    expect(adaView[1]).toMatchObject({ id: reply.id, content: 'answering', replyTo: { id: fromBob.id, preview: '', hidden: true } });
    const cydView = (await listMessages(ctx, cyd, chat.id, { limit: 50 })).messages;
    expect(cydView[0].content).toBe('secret words');
    expect(cydView[1].replyTo).toMatchObject({ preview: 'secret words' });
    expect(cydView[1].replyTo!.hidden).toBeUndefined();

    // SPEC §9 "in search": a blocked user's match reaches the blocker as its placeholder, never its text.
    const adaSearch = (await listMessages(ctx, ada, chat.id, { limit: 50, q: 'secret' })).messages;
    expect(adaSearch).toHaveLength(1);
    expect(adaSearch[0]).toMatchObject(placeholder(fromBob));
    expect(JSON.stringify(adaSearch)).not.toContain('secret');
    expect((await listMessages(ctx, cyd, chat.id, { limit: 50, q: 'secret' })).messages).toHaveLength(1);

    // Edits reach the blocker as placeholders too.
    notifier.sent.splice(0);
    await editMessage(ctx, bob, chat.id, fromBob.id, 'edited words');
    const edited = notifier.ofType('message.edited').find((s) => s.userIds.includes('ada'))!;
    expect((edited.event as { message: MessageT }).message).toMatchObject({ hidden: true, content: '' });

    await unblockUser(ctx, ada, 'bob');
    expect((await listMessages(ctx, ada, chat.id, { limit: 50 })).messages[0]).toMatchObject({ content: 'edited words' });
  });

  it('never notifies a blocker offline of the blocked user\'s messages (and `blockersOf` names them)', async () => {
    const { ctx, offline, ada, bob } = await people();
    const { chat } = await createChat(ctx, bob, { type: 'group', participantIds: ['ada', 'cyd'], title: 'G' });
    await blockUser(ctx, ada, 'bob');
    expect(await blockersOf(ctx, 'bob')).toEqual(['ada']);
    await sendMessage(ctx, bob, chat.id, { content: 'hello' });
    expect(offline.published.map((n) => n.recipientId)).toEqual(['cyd']);
  });

  it('stops typing between the two, both ways, in groups', async () => {
    const { ctx, notifier, ada, bob } = await people();
    const { chat } = await createChat(ctx, ada, { type: 'group', participantIds: ['bob', 'cyd'], title: 'G' });
    await blockUser(ctx, ada, 'bob');
    notifier.sent.splice(0);
    await typing(ctx, bob, chat.id, true);
    await typing(ctx, ada, chat.id, true);
    const typed = notifier.ofType('typing');
    expect(typed.flatMap((t) => t.userIds).sort()).toEqual(['cyd', 'cyd']);
  });

  it('stops presence between the two', async () => {
    const { ctx, notifier, ada, bob, cyd } = await people();
    await createChat(ctx, ada, { type: 'direct', participantIds: ['bob'] });
    await createChat(ctx, ada, { type: 'direct', participantIds: ['cyd'] });
    await blockUser(ctx, bob, 'ada');
    notifier.sent.splice(0);
    await connect(ctx, ada, 'conn-a', 3600);
    expect(notifier.ofType('presence').flatMap((p) => p.userIds)).toEqual(['cyd']);
    void cyd;
  });

  it('keeps group sends possible: blocks only change what the blocker sees', async () => {
    const { ctx, ada, bob } = await people();
    const { chat } = await createChat(ctx, ada, { type: 'group', participantIds: ['bob'], title: 'G' });
    await addParticipants(ctx, ada, chat.id, { userIds: ['cyd'] });
    await blockUser(ctx, ada, 'bob');
    expect((await sendMessage(ctx, bob, chat.id, { content: 'still here' })).message.seq).toBe(1);
    expect((await sendMessage(ctx, ada, chat.id, { content: 'me too' })).message.seq).toBe(2);
  });
});
