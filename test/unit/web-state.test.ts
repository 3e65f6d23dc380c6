/**
 * The web client's rules (`web/state.ts`) without a browser: list order,
 * unread counting under repeated and own messages, receipts, ordering by
 * seq, typing expiry, titles.
 */
import { describe, expect, it } from 'vitest';
import type { Chat, Message } from '../../sdk/src/index';
import {
  canManageGroup,
  canRemoveMember,
  chatTitle,
  dayLabel,
  helpers,
  supportLine,
  withDaySeparators,
  parseUserIds,
  reactionChips,
  receipt,
  sortChats,
  TYPING_EXPIRY_MS,
  TypingTracker,
  typingText,
  upsertMessage,
  listPreview,
  withChangedMessage,
  withMessage,
} from '../../web/state';

const chat = (over: Partial<Chat> = {}): Chat => ({
  id: 'c1',
  type: 'direct',
  createdBy: 'ada',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  lastSeq: 0,
  unreadCount: 0,
  unreadMentions: 0,
  lastReadSeq: 0,
  frozen: false,
  archived: false,
  notificationLevel: 'all',
  ...over,
});

const msg = (seq: number, over: Partial<Message> = {}): Message => ({
  id: `m${seq}`,
  chatId: 'c1',
  seq,
  senderId: 'bob',
  type: 'text',
  content: `message ${seq}`,
  attachments: [],
  reactions: {},
  mentions: [],
  createdAt: `2026-01-01T00:00:${String(seq).padStart(2, '0')}.000Z`,
  readBy: 0,
  ...over,
});

describe('sortChats', () => {
  it('orders by the last message, else the last update, newest first', () => {
    const quiet = chat({ id: 'quiet', updatedAt: '2026-01-02T00:00:00.000Z' });
    const busy = chat({ id: 'busy', lastMessage: { id: 'x', seq: 1, senderId: 'bob', type: 'text', content: 'hi', createdAt: '2026-01-03T00:00:00.000Z' } });
    const old = chat({ id: 'old' });
    expect(sortChats([old, quiet, busy]).map((c) => c.id)).toEqual(['busy', 'quiet', 'old']);
  });
});

describe('withMessage', () => {
  it('counts a message from someone else once, however often it arrives', () => {
    const once = withMessage(chat(), msg(1), 'ada', false);
    expect(once).toMatchObject({ lastSeq: 1, unreadCount: 1, lastMessage: { id: 'm1', content: 'message 1' } });
    expect(withMessage(once, msg(1), 'ada', false)).toBe(once);
    expect(withMessage(once, msg(2), 'ada', false).unreadCount).toBe(2);
  });

  it('own messages clear the count and move the read marker, as the server does', () => {
    const next = withMessage(chat({ lastSeq: 3, unreadCount: 3 }), msg(4, { senderId: 'ada' }), 'ada', false);
    expect(next).toMatchObject({ unreadCount: 0, lastReadSeq: 4 });
  });

  it('while viewing: no badge, but the marker stays so the conversation still marks the message read', () => {
    const next = withMessage(chat({ lastSeq: 3, lastReadSeq: 3 }), msg(4), 'ada', true);
    expect(next).toMatchObject({ unreadCount: 0, lastReadSeq: 3, lastSeq: 4 });
  });

  it('previews attachments and deletions', () => {
    const image = { id: 'a', filename: 'cow.png', contentType: 'image/png', size: 1, kind: 'image', url: 'u', urlExpiresAt: 't' };
    expect(withMessage(chat(), msg(1, { content: '', attachments: [image] }), 'ada', false).lastMessage?.content).toBe('📎 cow.png');
  });
});

describe('chat-list previews follow edits and deletes', () => {
  const last = (content: string) => ({ id: 'm4', seq: 4, senderId: 'bob', type: 'text' as const, content, createdAt: '2026-01-01T00:00:04.000Z' });

  it('an edit of the last message changes the preview; of another message, nothing', () => {
    const entry = chat({ lastSeq: 4, lastMessage: last('old') });
    expect(withChangedMessage(entry, msg(4, { content: 'new', editedAt: 't' })).lastMessage).toMatchObject({ content: 'new' });
    expect(withChangedMessage(entry, msg(3, { content: 'other' }))).toBe(entry);
  });

  it('a deleted last message reads "Message deleted", not its old text nor an attachment icon, and stays deleted', () => {
    const entry = chat({ lastSeq: 4, lastMessage: last('secret') });
    const deleted = withChangedMessage(entry, { id: 'm4', deleted: true });
    expect(deleted.lastMessage).toMatchObject({ content: '', deleted: true });
    expect(listPreview(deleted.lastMessage!)).toBe('Message deleted');
    expect(withChangedMessage(deleted, msg(4, { content: 'late edit' }))).toBe(deleted);
    // An attachment-only message (content "") is not a deleted one.
    expect(listPreview(last(''))).toBe('📎');
    expect(listPreview(last('hi'))).toBe('hi');
    expect(withMessage(chat(), msg(1, { content: '', deletedAt: 't' }), 'ada', false).lastMessage).toMatchObject({ deleted: true, content: '' });
  });
});

describe('upsertMessage', () => {
  it('keeps seq order whatever the arrival order, and replaces by id', () => {
    let list = [msg(3), msg(1)].reduce(upsertMessage, [] as Message[]);
    list = upsertMessage(list, msg(2));
    expect(list.map((m) => m.seq)).toEqual([1, 2, 3]);
    list = upsertMessage(list, msg(2, { content: 'edited' }));
    expect(list.map((m) => m.content)).toEqual(['message 1', 'edited', 'message 3']);
  });
});

describe('receipt', () => {
  const mine = msg(5, { senderId: 'ada' });
  it('is absent on others\u2019 and system messages', () => {
    expect(receipt(msg(5), 'ada', new Map())).toBeUndefined();
    expect(receipt({ ...mine, type: 'system' }, 'ada', new Map())).toBeUndefined();
  });
  it('is read once readBy says so or another participant\u2019s marker reached the message', () => {
    expect(receipt(mine, 'ada', new Map())).toBe('sent');
    expect(receipt({ ...mine, readBy: 1 }, 'ada', new Map())).toBe('read');
    expect(receipt(mine, 'ada', new Map([['bob', 4]]))).toBe('sent');
    expect(receipt(mine, 'ada', new Map([['bob', 5]]))).toBe('read');
    // Our own marker (another device of ours) is not a receipt.
    expect(receipt(mine, 'ada', new Map([['ada', 9]]))).toBe('sent');
  });
});

describe('reactionChips', () => {
  it('lists reactions with users, known ones first, and marks our own', () => {
    const chips = reactionChips(msg(1, { reactions: { '🐄': ['bob'], like: ['ada', 'bob'], dislike: [] } }), 'ada');
    expect(chips).toEqual([
      { key: 'like', label: '👍', count: 2, mine: true },
      { key: '🐄', label: '🐄', count: 1, mine: false },
    ]);
  });
});

describe('typing', () => {
  it('expires an entry without a repeat, and a message or isTyping:false ends it', () => {
    const t = new TypingTracker();
    t.set('c1', 'bob', true, 1_000);
    t.set('c1', 'cy', true, 2_000);
    expect(t.typing('c1', 1_000 + TYPING_EXPIRY_MS - 1)).toEqual(['bob', 'cy']);
    expect(t.typing('c1', 1_000 + TYPING_EXPIRY_MS)).toEqual(['cy']);
    t.clear('c1', 'cy');
    expect(t.typing('c1', 2_000)).toEqual(['bob']);
    t.set('c1', 'bob', false, 2_000);
    expect(t.typing('c1', 2_000)).toEqual([]);
    expect(t.typing('other', 0)).toEqual([]);
  });

  it('words the indicator', () => {
    expect(typingText([])).toBe('');
    expect(typingText(['Bob'])).toBe('Bob is typing…');
    expect(typingText(['Bob', 'Cy'])).toBe('Bob and Cy are typing…');
    expect(typingText(['Bob', 'Cy', 'Di'])).toBe('3 people are typing…');
  });
});

describe('chatTitle', () => {
  it('names direct chats after the other person, groups by title, support chats by subject and requester', () => {
    expect(chatTitle(chat({ participants: participants([['ada', 'member'], ['bob', 'member']]) }), 'ada')).toBe('BOB');
    expect(chatTitle(chat({ type: 'group', title: 'Barn' }), 'ada')).toBe('Barn');
    const support = chat({ type: 'support', title: 'Tractor', participants: participants([['jo', 'member'], ['sam', 'agent']]) });
    expect(chatTitle(support, 'sam')).toBe('Tractor · JO');
    expect(chatTitle(support, 'jo')).toBe('Tractor');
  });
});

describe('parseUserIds', () => {
  it('splits on commas and spaces, dropping blanks and repeats', () => {
    expect(parseUserIds(' bob, cy  di,,bob ')).toEqual(['bob', 'cy', 'di']);
  });
});

const participants = (ids: [string, 'member' | 'agent' | 'owner' | 'admin'][]) =>
  ids.map(([userId, role]) => ({ userId, name: userId.toUpperCase(), role, joinedAt: 't', online: false }));

describe('date separators (issue 16)', () => {
  // Local times, so the test holds in any time zone.
  const at = (y: number, m: number, d: number, h: number) => new Date(y, m - 1, d, h).toISOString();
  const now = new Date(2026, 2, 4, 12);

  it('puts one separator before the first message of each local day', () => {
    const items = withDaySeparators(
      [msg(1, { createdAt: at(2026, 3, 2, 9) }), msg(2, { createdAt: at(2026, 3, 2, 23) }), msg(3, { createdAt: at(2026, 3, 3, 0) }), msg(4, { createdAt: at(2026, 3, 4, 8) })],
      now,
    );
    expect(items.map((i) => (i.kind === 'day' ? `[${i.label}]` : i.message.seq))).toEqual([`[${dayLabel(at(2026, 3, 2, 9), now)}]`, 1, 2, '[Yesterday]', 3, '[Today]', 4]);
    expect(withDaySeparators([], now)).toEqual([]);
  });

  it('labels today, yesterday, and other days by weekday and date (with the year only when it differs)', () => {
    expect(dayLabel(at(2026, 3, 4, 1), now)).toBe('Today');
    expect(dayLabel(at(2026, 3, 3, 23), now)).toBe('Yesterday');
    expect(dayLabel(at(2026, 3, 2, 12), now)).toContain('2');
    expect(dayLabel(at(2026, 3, 2, 12), now)).not.toContain('2026');
    expect(dayLabel(at(2025, 12, 31, 12), now)).toContain('2025');
  });
});

describe('who may manage a group (mirrors the server, which decides)', () => {
  const group = chat({ type: 'group', participants: participants([['olive', 'owner'], ['adam', 'admin'], ['mia', 'member'], ['max', 'member']]) });

  it('the owner and group admins manage; members and outsiders do not, platform admins do', () => {
    expect(canManageGroup(group, 'olive', ['user'])).toBe(true);
    expect(canManageGroup(group, 'adam', ['user'])).toBe(true);
    expect(canManageGroup(group, 'mia', ['user'])).toBe(false);
    expect(canManageGroup(group, 'eve', ['user', 'admin'])).toBe(true);
    expect(canManageGroup(chat({ type: 'direct' }), 'olive', ['user', 'admin'])).toBe(false);
  });

  it('the owner removes anyone else, a group admin members only, nobody removes themselves (that is leaving)', () => {
    const p = (userId: string) => group.participants!.find((x) => x.userId === userId)!;
    expect(canRemoveMember(group, 'olive', ['user'], p('adam'))).toBe(true);
    expect(canRemoveMember(group, 'olive', ['user'], p('olive'))).toBe(false);
    expect(canRemoveMember(group, 'adam', ['user'], p('mia'))).toBe(true);
    expect(canRemoveMember(group, 'adam', ['user'], p('olive'))).toBe(false);
    expect(canRemoveMember(group, 'mia', ['user'], p('max'))).toBe(false);
  });
});

describe("the requester's view of a support chat", () => {
  it('names who is helping, else says it waits; always the status', () => {
    const waiting = chat({ type: 'support', status: 'open', participants: participants([['rita', 'member']]) });
    expect(supportLine(waiting)).toBe('Waiting for an agent · open');
    const helped = chat({ type: 'support', status: 'waiting', participants: participants([['rita', 'member'], ['ann', 'agent']]) });
    expect(helpers(helped)).toEqual(['ANN']);
    expect(supportLine(helped)).toBe('ANN is helping you · waiting');
    const two = chat({ type: 'support', status: 'resolved', participants: participants([['rita', 'member'], ['ann', 'agent'], ['ben', 'agent']]) });
    expect(supportLine(two)).toBe('ANN and BEN are helping you · resolved');
  });
});
