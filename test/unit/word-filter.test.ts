import { describe, expect, it } from 'vitest';
import { editMessage, sendMessage } from '../../functions/domain/messages';
import { openSupportChat } from '../../functions/domain/support';
import { createChat } from '../../functions/domain/chats';
import { compileWordFilter, parseBlockedWords } from '../../functions/domain/word-filter';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

describe('the word filter (SPEC §9)', () => {
  const filter = compileWordFilter(parseBlockedWords('darn, Heck ,buy  now,,ｓｐａｍ'));

  it('matches whole words, case-insensitively, after NFKC', () => {
    expect(filter.test('well DARN it')).toBe(true);
    expect(filter.test('heck!')).toBe(true);
    expect(filter.test('(darn)')).toBe(true);
    // NFKC: fullwidth letters and the fullwidth entry both fold to plain ones.
    expect(filter.test('ｄａｒｎ')).toBe(true);
    expect(filter.test('no spam please')).toBe(true);
    // Ligature ﬁ → fi is NFKC too; "ﬁ" inside a word does not make a word boundary.
    expect(compileWordFilter(['fine']).test('that is ﬁne')).toBe(true);
  });

  it('leaves words that merely contain a blocked word alone', () => {
    expect(filter.test('darning socks')).toBe(false);
    expect(filter.test('Checkpoint')).toBe(false);
    expect(filter.test('spammer')).toBe(false);
    expect(filter.test('darn_it')).toBe(false);
    expect(filter.test('')).toBe(false);
  });

  it('matches phrases across any white space', () => {
    expect(filter.test('BUY\n  NOW!')).toBe(true);
    expect(filter.test('buy nowhere')).toBe(false);
  });

  it('treats regex characters in words literally', () => {
    const f = compileWordFilter(['a.b', 'c++']);
    expect(f.test('a.b')).toBe(true);
    expect(f.test('axb')).toBe(false);
    expect(f.test('I like c++')).toBe(true);
  });

  it('answers 400 content_blocked for sends, edits and initial support messages, and stores nothing', async () => {
    const m = memoryContext({ limits: { blockedWords: parseBlockedWords('darn') } });
    const ada = await user(m.repo, 'ada');
    await user(m.repo, 'bob');
    const { chat } = await createChat(m.ctx, ada, { type: 'direct', participantIds: ['bob'] });
    expect(await codeOf(sendMessage(m.ctx, ada, chat.id, { content: 'Darn!' }))).toBe('400 content_blocked');
    expect([...m.repo.messageMap.values()]).toHaveLength(0);
    const { message } = await sendMessage(m.ctx, ada, chat.id, { content: 'hello' });
    expect(await codeOf(editMessage(m.ctx, ada, chat.id, message.id, 'darn'))).toBe('400 content_blocked');
    expect(m.repo.messageMap.get(`${chat.id}|1`)!.content).toBe('hello');
    const chats = m.repo.chatMap.size;
    expect(await codeOf(openSupportChat(m.ctx, ada, { initialMessage: 'oh DARN' }))).toBe('400 content_blocked');
    expect(m.repo.chatMap.size).toBe(chats);
  });
});
