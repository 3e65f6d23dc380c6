/**
 * Issue 13 item 7 (Medium): deleted content survived in replies. A reply's
 * `replyTo.preview` kept the first 100 characters after the original was
 * edited and deleted. SPEC §6: previews follow the original (edited: new
 * text; deleted: "" with `deleted: true`). Resolved at read time by key.
 */
import { describe, expect, it } from 'vitest';
import { createChat } from '../../functions/domain/chats';
import { deleteMessage, editMessage, listMessages, sendMessage } from '../../functions/domain/messages';
import { memoryContext, user } from '../support/memory';

async function chat() {
  const m = memoryContext();
  const alice = await user(m.repo, 'alice');
  const bob = await user(m.repo, 'bob');
  const { chat } = await createChat(m.ctx, alice, { type: 'direct', participantIds: ['bob'] });
  return { ...m, alice, bob, chatId: chat.id };
}

describe('reply previews follow the original', () => {
  it('edited: the new text; deleted: "" with deleted: true, in pages, search and events', async () => {
    const { ctx, repo, notifier, alice, bob, chatId } = await chat();
    const { message: original } = await sendMessage(ctx, alice, chatId, { content: 'My diagnosis: nothing serious' });
    const { message: reply } = await sendMessage(ctx, bob, chatId, { content: 'Good to hear', replyTo: original.id });
    expect(reply.replyTo).toEqual({ id: original.id, seq: 1, senderId: 'alice', preview: 'My diagnosis: nothing serious' });
    // Nothing of the original's text is stored in the reply.
    expect(JSON.stringify(repo.messageMap.get(`${chatId}|2`))).not.toContain('diagnosis');

    await editMessage(ctx, alice, chatId, original.id, 'My new diagnosis: type 2 diabetes');
    let page = await listMessages(ctx, bob, chatId, { limit: 50 });
    expect(page.messages[1]!.replyTo).toEqual({ id: original.id, seq: 1, senderId: 'alice', preview: 'My new diagnosis: type 2 diabetes' });

    await deleteMessage(ctx, alice, chatId, original.id);
    page = await listMessages(ctx, bob, chatId, { limit: 50 });
    expect(page.messages[1]!.replyTo).toEqual({ id: original.id, seq: 1, senderId: 'alice', preview: '', deleted: true });
    expect(JSON.stringify(page)).not.toContain('diabetes');
    // Off the page (the reply alone), and found by search.
    const alone = await listMessages(ctx, bob, chatId, { limit: 1 });
    expect(alone.messages[0]!.replyTo).toMatchObject({ preview: '', deleted: true });
    const found = await listMessages(ctx, bob, chatId, { limit: 10, q: 'good' });
    expect(found.messages[0]!.replyTo).toMatchObject({ preview: '', deleted: true });
    // An edit of the reply itself carries the current preview too.
    await editMessage(ctx, bob, chatId, reply.id, 'Good to hear, really');
    expect((notifier.ofType('message.edited').at(-1)!.event as { message: unknown }).message).toMatchObject({ replyTo: { preview: '', deleted: true } });
  });

  it('a reply stored with a preview (before this rule) shows the original as it is now', async () => {
    const { ctx, repo, alice, bob, chatId } = await chat();
    const { message: original } = await sendMessage(ctx, alice, chatId, { content: 'secret' });
    const { message: reply } = await sendMessage(ctx, bob, chatId, { content: 'ok', replyTo: original.id });
    repo.messageMap.get(`${chatId}|${reply.seq}`)!.replyTo!.preview = 'secret';
    await deleteMessage(ctx, alice, chatId, original.id);
    const page = await listMessages(ctx, bob, chatId, { limit: 50 });
    expect(page.messages[1]!.replyTo).toMatchObject({ preview: '', deleted: true });
  });

  it('reads the originals not on the page in one batch, and none when they are on it', async () => {
    const { ctx, repo, alice, bob, chatId } = await chat();
    for (let i = 1; i <= 5; i++) await sendMessage(ctx, alice, chatId, { content: `question ${i}` });
    const originals = (await listMessages(ctx, bob, chatId, { limit: 50 })).messages;
    for (const o of originals) await sendMessage(ctx, bob, chatId, { content: `answer to ${o.seq}`, replyTo: o.id });
    let batches = 0;
    const getMany = repo.messages.getMany;
    repo.messages.getMany = async (id, seqs) => (batches++, getMany(id, seqs));
    const replies = await listMessages(ctx, bob, chatId, { limit: 5 });
    expect(replies.messages.map((m) => m.replyTo!.preview)).toEqual(['question 1', 'question 2', 'question 3', 'question 4', 'question 5']);
    expect(batches).toBe(1);
    await listMessages(ctx, bob, chatId, { limit: 50 });
    expect(batches).toBe(1);
  });
});
