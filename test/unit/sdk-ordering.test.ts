/**
 * The SDK's per-chat ordering buffer (sdk/src/ordering.ts) on fake timers:
 * messages are emitted in seq order, a message ahead of a gap is held, the
 * gap is fetched with `after=` after the hold (well within a second) unless
 * live events fill it first, duplicates by id are dropped, and a failing or
 * absent history never freezes a chat.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { laterMessage, SeqOrderer, type OrderedMessageEvent } from '../../sdk/src/ordering';
import { historyApi, message } from '../support/fake-websocket';

const live = (chatId: string, seq: number, id?: string): OrderedMessageEvent => ({ type: 'message.new', chatId, message: message(chatId, seq, id), at: '2026-01-01T00:00:00.000Z' });

function setup(history: Record<string, ReturnType<typeof message>[]> = {}, options: { holdMs?: number; maxHoldMs?: number; source?: 'none' } = {}) {
  const api = historyApi(history);
  const emitted: { seq: number; id: string; catchUp?: boolean; content: string }[] = [];
  const dropped: string[] = [];
  const orderer = new SeqOrderer({
    source: options.source === 'none' ? undefined : api,
    holdMs: options.holdMs,
    maxHoldMs: options.maxHoldMs,
    emit: (e) => emitted.push({ seq: e.message.seq, id: e.message.id, catchUp: e.catchUp, content: e.message.content }),
    dropped: (chatId) => dropped.push(chatId),
  });
  return { api, orderer, emitted, dropped, seqs: () => emitted.map((e) => e.seq) };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('SDK ordering buffer', () => {
  it('emits in-order messages at once and de-duplicates by id', () => {
    const { orderer, seqs, api } = setup();
    orderer.track('c1', 0);
    expect(orderer.accept(live('c1', 1))).toBe(true);
    expect(orderer.accept(live('c1', 2))).toBe(true);
    expect(orderer.accept(live('c1', 2))).toBe(false);
    expect(orderer.accept(live('c1', 1))).toBe(false);
    expect(seqs()).toEqual([1, 2]);
    expect(orderer.lastSeq('c1')).toBe(2);
    expect(api.calls).toEqual([]);
  });

  it('holds a message ahead of a gap and releases it in order when the live gap message arrives (no fetch)', async () => {
    const { orderer, seqs, api } = setup();
    orderer.track('c1', 1);
    orderer.accept(live('c1', 3));
    orderer.accept(live('c1', 4));
    expect(seqs()).toEqual([]);
    expect(orderer.heldSeqs('c1')).toEqual([3, 4]);
    await vi.advanceTimersByTimeAsync(100);
    orderer.accept(live('c1', 2));
    expect(seqs()).toEqual([2, 3, 4]);
    expect(orderer.heldSeqs('c1')).toEqual([]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(api.calls).toEqual([]); // the gap closed before the hold ran out
  });

  it('fetches the gap with after=<contiguous> once the hold (250 ms) passes, well within a second', async () => {
    const history = { c1: [1, 2, 3, 4, 5].map((n) => message('c1', n)) };
    const { orderer, emitted, seqs, api } = setup(history);
    orderer.track('c1', 1);
    orderer.accept(live('c1', 4));
    await vi.advanceTimersByTimeAsync(249);
    expect(api.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(api.calls).toEqual([{ chatId: 'c1', after: 1 }]);
    expect(seqs()).toEqual([2, 3, 4, 5]);
    // 2, 3 and 5 came from the fetch; 4 was live.
    expect(emitted.map((e) => [e.seq, Boolean(e.catchUp)])).toEqual([
      [2, true],
      [3, true],
      [4, false],
      [5, true],
    ]);
    expect(orderer.lastSeq('c1')).toBe(5);
    // 5 arriving live afterwards is a duplicate.
    expect(orderer.accept(live('c1', 5))).toBe(false);
  });

  it('moves over a seq the server does not list for the caller instead of stalling', async () => {
    const { orderer, seqs } = setup({ c1: [1, 2, 4].map((n) => message('c1', n)) });
    orderer.track('c1', 2);
    orderer.accept(live('c1', 4));
    await vi.advanceTimersByTimeAsync(250);
    expect(seqs()).toEqual([4]);
    expect(orderer.lastSeq('c1')).toBe(4);
    orderer.accept(live('c1', 5));
    expect(seqs()).toEqual([4, 5]);
  });

  it('pages a long gap until it reaches the held message', async () => {
    const history = { c1: Array.from({ length: 230 }, (_, i) => message('c1', i + 1)) };
    const { orderer, seqs, api } = setup(history);
    orderer.track('c1', 0);
    orderer.accept(live('c1', 230));
    await vi.advanceTimersByTimeAsync(250);
    expect(api.calls.map((c) => c.after)).toEqual([0, 100, 200]);
    expect(seqs()).toEqual(Array.from({ length: 230 }, (_, i) => i + 1));
  });

  it('retries a failed gap fetch with backoff and releases in order after maxHoldMs', async () => {
    const failing = { calls: 0, async listMessages() {
      failing.calls++;
      throw Object.assign(new Error('busy'), { status: 503 });
    } };
    const emitted: number[] = [];
    const o = new SeqOrderer({ source: failing, maxHoldMs: 3_000, emit: (e) => emitted.push(e.message.seq) });
    o.track('c1', 1);
    o.accept(live('c1', 5));
    o.accept(live('c1', 3));
    await vi.advanceTimersByTimeAsync(250);
    expect(failing.calls).toBe(1);
    expect(emitted).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_750);
    expect(failing.calls).toBeGreaterThanOrEqual(3); // 500 ms, 1 s, 2 s backoff
    await vi.advanceTimersByTimeAsync(2_000);
    expect(emitted).toEqual([3, 5]); // given up on the gap, still in seq order
    expect(o.lastSeq('c1')).toBe(5);
  });

  it('without a history source, releases held messages in order after the hold', async () => {
    const { orderer, seqs } = setup({}, { source: 'none' });
    orderer.track('c1', 0);
    orderer.accept(live('c1', 3));
    orderer.accept(live('c1', 2));
    await vi.advanceTimersByTimeAsync(250);
    expect(seqs()).toEqual([2, 3]);
  });

  it('a 404 on the gap fetch releases what is held and stops tracking the chat', async () => {
    const { orderer, seqs, dropped } = setup({});
    orderer.track('gone', 1);
    orderer.accept(live('gone', 3));
    await vi.advanceTimersByTimeAsync(250);
    expect(seqs()).toEqual([3]);
    expect(dropped).toEqual(['gone']);
    expect(orderer.lastSeq('gone')).toBeUndefined();
  });

  it('folds an edit or delete of a held message into it, and the fetched copy does not undo it', async () => {
    const history = { c1: [1, 2, 3].map((n) => message('c1', n)) };
    const { orderer, emitted } = setup(history);
    orderer.track('c1', 1);
    orderer.accept(live('c1', 3));
    expect(orderer.fold('c1', 'm3', (m) => ({ ...m, content: '', attachments: [], deletedAt: '2026-01-01T00:00:05.000Z' }))).toBe(true);
    expect(orderer.fold('c1', 'm2', (m) => m)).toBe(false); // not held
    await vi.advanceTimersByTimeAsync(250);
    expect(emitted.map((e) => [e.seq, e.content])).toEqual([
      [2, '#2'],
      [3, ''],
    ]);
  });

  it('track() after history loaded releases held messages it covers and never moves backwards', () => {
    const { orderer, seqs } = setup();
    orderer.track('c1', 0);
    orderer.accept(live('c1', 4));
    orderer.accept(live('c1', 6));
    orderer.track('c1', 5); // the app loaded 1..5
    expect(seqs()).toEqual([4, 6]);
    orderer.track('c1', 2);
    expect(orderer.lastSeq('c1')).toBe(6);
  });

  it('a first message of an untracked chat is emitted at once (nothing before it was loaded)', () => {
    const { orderer, seqs } = setup();
    orderer.accept(live('new', 17));
    expect(seqs()).toEqual([17]);
    expect(orderer.lastSeq('new')).toBe(17);
  });

  it('laterMessage keeps the deleted copy, else the later edit', () => {
    const base = message('c1', 1);
    const edited = { ...base, content: 'b', editedAt: '2026-01-01T00:00:02.000Z' };
    const older = { ...base, content: 'a', editedAt: '2026-01-01T00:00:01.000Z' };
    const deleted = { ...base, content: '', deletedAt: '2026-01-01T00:00:00.500Z' };
    expect(laterMessage(edited, older)).toBe(edited);
    expect(laterMessage(older, edited)).toBe(edited);
    expect(laterMessage(edited, deleted)).toBe(deleted);
    expect(laterMessage(deleted, edited)).toBe(deleted);
  });
});
