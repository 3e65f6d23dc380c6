/**
 * Idempotent event application (SPEC §6, sdk/src/freshness.ts): a repeated
 * event or an older copy after a newer one is not admitted, whatever the
 * order in which live delivery and sync hand them over; a newer one is.
 */
import { describe, expect, it } from 'vitest';
import { EventLedger } from '../../sdk/src/freshness';
import { message } from '../support/fake-websocket';

const t = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, '0')}.000Z`;

describe('SDK event ledger', () => {
  it('edits: the latest editedAt wins, a repeat or an older edit is dropped, nothing after a delete', () => {
    const ledger = new EventLedger();
    const edit = (s: number) => ({ type: 'message.edited', chatId: 'c1', message: { ...message('c1', 1), editedAt: t(s) }, at: t(s) });
    expect(ledger.admit(edit(2))).toBe(true);
    expect(ledger.admit(edit(2))).toBe(false);
    expect(ledger.admit(edit(1))).toBe(false);
    expect(ledger.admit(edit(3))).toBe(true);
    expect(ledger.admit({ type: 'message.deleted', chatId: 'c1', messageId: 'm1', seq: 1, at: t(4) })).toBe(true);
    expect(ledger.admit({ type: 'message.deleted', chatId: 'c1', messageId: 'm1', seq: 1, at: t(4) })).toBe(false);
    expect(ledger.admit(edit(5))).toBe(false);
    // Keys are per message and chat.
    expect(ledger.admit({ ...edit(1), chatId: 'c2' })).toBe(true);
  });

  it('reactions: older dropped; equal `at` applies each distinct state once', () => {
    const ledger = new EventLedger();
    const react = (s: number, reactions: Record<string, string[]>) => ({ type: 'reaction.updated', chatId: 'c1', messageId: 'm1', reactions, at: t(s) });
    expect(ledger.admit(react(2, { like: ['a'] }))).toBe(true);
    expect(ledger.admit(react(1, {}))).toBe(false);
    expect(ledger.admit(react(2, { like: ['a'] }))).toBe(false);
    expect(ledger.admit(react(2, { like: ['a', 'b'] }))).toBe(true); // same millisecond, another change
    expect(ledger.admit(react(2, { like: ['a'] }))).toBe(false); // a replay of the earlier one
    expect(ledger.admit(react(3, {}))).toBe(true);
  });

  it('read markers only move forward', () => {
    const ledger = new EventLedger();
    const read = (seq: number, userId = 'bob') => ({ type: 'messages.read', chatId: 'c1', userId, lastReadSeq: seq, readAt: t(seq), at: t(seq) });
    expect(ledger.admit(read(3))).toBe(true);
    expect(ledger.admit(read(3))).toBe(false);
    expect(ledger.admit(read(2))).toBe(false);
    expect(ledger.admit(read(2, 'carol'))).toBe(true);
    expect(ledger.admit(read(5))).toBe(true);
  });

  it('chat.updated, membership.updated and pins keep the latest `at`', () => {
    const ledger = new EventLedger();
    const rename = (s: number) => ({ type: 'chat.updated', chat: { id: 'c1', title: `t${s}`, updatedAt: t(s) }, at: t(s) });
    expect(ledger.admit(rename(2))).toBe(true);
    expect(ledger.admit(rename(1))).toBe(false);
    expect(ledger.admit(rename(2))).toBe(false);
    expect(ledger.admit(rename(3))).toBe(true);
    const membership = (s: number) => ({ type: 'membership.updated', chatId: 'c1', archived: s % 2 === 0, notificationLevel: 'all', at: t(s) });
    expect(ledger.admit(membership(2))).toBe(true);
    expect(ledger.admit(membership(1))).toBe(false);
    const pin = (s: number, pinned: boolean) => ({ type: 'message.pinned', chatId: 'c1', messageId: 'm1', pinned, pinnedBy: 'a', pinnedAt: t(s), at: t(s) });
    expect(ledger.admit(pin(2, true))).toBe(true);
    expect(ledger.admit(pin(1, false))).toBe(false);
    expect(ledger.admit(pin(3, false))).toBe(true);
  });

  it('membership: per chat and user by `at`; an old removal of the caller cannot drop a chat they rejoined', () => {
    const ledger = new EventLedger({ me: () => 'me' });
    const added = (s: number, userIds: string[]) => ({ type: 'participants.added', chatId: 'c1', userIds, at: t(s) });
    const removed = (s: number, userId: string) => ({ type: 'participant.removed', chatId: 'c1', userId, at: t(s) });
    expect(ledger.admit(added(1, ['bob']))).toBe(true);
    expect(ledger.admit(removed(2, 'bob'))).toBe(true);
    expect(ledger.admit(added(1, ['bob']))).toBe(false); // the older add replayed by sync must not re-add bob
    expect(ledger.admit(added(3, ['bob', 'carol']))).toBe(true);
    expect(ledger.admit(added(3, ['bob', 'carol']))).toBe(false);

    expect(ledger.admit({ type: 'chat.created', chat: { id: 'c1' }, at: t(5) })).toBe(true);
    expect(ledger.admit({ type: 'chat.created', chat: { id: 'c1' }, at: t(5) })).toBe(false);
    expect(ledger.admit(removed(4, 'me'))).toBe(false); // older than the chat.created that added us again
    expect(ledger.admit(removed(6, 'me'))).toBe(true);
  });

  it('events without `at` (a server before SPEC §6) still apply; typing and presence always pass', () => {
    const ledger = new EventLedger();
    const pin = { type: 'message.pinned', chatId: 'c1', messageId: 'm1', pinned: true };
    expect(ledger.admit(pin)).toBe(true);
    expect(ledger.admit({ ...pin, pinned: false })).toBe(true);
    expect(ledger.admit({ type: 'typing', chatId: 'c1', userId: 'a', isTyping: true })).toBe(true);
    expect(ledger.admit({ type: 'typing', chatId: 'c1', userId: 'a', isTyping: true })).toBe(true);
  });

  it('memory is bounded: the oldest keys are forgotten past capacity', () => {
    const ledger = new EventLedger({ capacity: 10 });
    const read = (chatId: string) => ({ type: 'messages.read', chatId, userId: 'bob', lastReadSeq: 1 });
    for (let i = 0; i < 11; i++) ledger.admit(read(`c${i}`));
    expect(ledger.admit(read('c10'))).toBe(false); // still remembered
    expect(ledger.admit(read('c0'))).toBe(true); // forgotten: applies again (harmless for a marker)
  });
});
