/**
 * ChatSocket's sync (SPEC §7) on a scripted WebSocket: a cursor is taken on
 * first connect, every reconnect pages `GET /v1/sync` from the stored cursor
 * instead of one request per chat, synced events are emitted as if live and
 * at most once (a live copy and a sync copy of one change emit once; an
 * older copy never after a newer one), `sync_expired` takes a fresh cursor
 * and tells the app, and a server without sync falls back to per-chat catch-up.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryCursorStore, type ChatSocket, type Message, type SyncPage } from '../../sdk/src/index';
import { FakeSocket, latest, message, openSocket } from '../support/fake-websocket';

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

const t = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, '0')}.000Z`;

/** The server's event log as `GET /v1/sync` serves it (cursor = position), plus message history for gap fetches. */
function server(history: Record<string, Message[]> = {}) {
  const log: Record<string, unknown>[] = [];
  const calls: string[] = [];
  let expired = false;
  return {
    log,
    calls,
    expire: () => (expired = true),
    async sync(query: { since?: string; limit?: number } = {}): Promise<SyncPage> {
      calls.push(`sync ${query.since ?? '-'}`);
      if (query.since === undefined) return { events: [], cursor: String(log.length), hasMore: false };
      if (expired) {
        expired = false;
        throw Object.assign(new Error('gone'), { status: 410, code: 'sync_expired' });
      }
      const from = Number(query.since);
      const limit = query.limit ?? 100;
      const events = log.slice(from, from + limit) as unknown as SyncPage['events'];
      return { events, cursor: String(from + events.length), hasMore: from + limit < log.length };
    },
    async listMessages(chatId: string, query: { after?: number; limit?: number } = {}) {
      calls.push(`list ${chatId} after=${query.after}`);
      const above = (history[chatId] ?? []).filter((m) => m.seq > (query.after ?? 0));
      return { messages: above.slice(0, query.limit ?? 50), hasMore: above.length > (query.limit ?? 50) };
    },
  };
}

/** Drops the connection, lets the socket reconnect, and waits for the catch-up that follows. */
async function reconnect(socket: ChatSocket, delay = 10) {
  const done = new Promise((resolve) => {
    const offs = [socket.on('synced', resolve), socket.on('caughtUp', resolve)];
    void offs;
  });
  latest().drop();
  await vi.advanceTimersByTimeAsync(delay);
  latest().accept();
  await done;
}

describe('ChatSocket sync', () => {
  it('takes a cursor on first connect (connect resolves after it) and syncs from it after a reconnect, one request', async () => {
    const api = server();
    const cursorStore = new MemoryCursorStore();
    const socket = await openSocket({ api, cursorStore, backoff: { initialMs: 10 } });
    expect(api.calls).toEqual(['sync -']);
    expect(cursorStore.get()).toBe('0');
    for (const chatId of ['c1', 'c2', 'c3']) socket.track(chatId, 0);

    const seen: string[] = [];
    socket.on('message.new', (e) => seen.push(`${e.chatId}:${e.message.seq}:${e.catchUp ? 'sync' : 'live'}`));
    socket.on('chat.updated', (e) => seen.push(`rename:${e.chat.title}:${e.catchUp ? 'sync' : 'live'}`));
    const synced: unknown[] = [];
    socket.on('synced', (e) => synced.push(e));

    api.log.push({ type: 'message.new', chatId: 'c1', message: message('c1', 1), at: t(1) });
    api.log.push({ type: 'chat.updated', chat: { id: 'c2', title: 'new name', updatedAt: t(2) }, at: t(2) });
    api.log.push({ type: 'message.new', chatId: 'c1', message: message('c1', 2), at: t(3) });
    await reconnect(socket);
    expect(api.calls).toEqual(['sync -', 'sync 0']); // not one request per chat
    expect(seen).toEqual(['c1:1:sync', 'rename:new name:sync', 'c1:2:sync']);
    expect(synced).toEqual([{ events: 3, pages: 1, fresh: false, expired: false }]);
    expect(cursorStore.get()).toBe('3');
  });

  it('starts from a stored cursor (an app restart) and pages while hasMore', async () => {
    const api = server();
    for (let n = 1; n <= 5; n++) api.log.push({ type: 'message.new', chatId: 'c1', message: message('c1', n), at: t(n) });
    const cursorStore = new MemoryCursorStore('1');
    await openSocket({ api, cursorStore, syncPageSize: 2 });
    // openSocket awaited connect(), which waited for the whole sync
    expect(api.calls).toEqual(['sync 1', 'sync 3']); // 1..3, 3..5: the second page says hasMore: false
    expect(cursorStore.get()).toBe('5');
  });

  it('a change seen live and again by sync is emitted once; an older copy after a newer one never', async () => {
    const api = server();
    const socket = await openSocket({ api, backoff: { initialMs: 10 } });
    const titles: string[] = [];
    socket.on('chat.updated', (e) => titles.push(e.chat.title ?? ''));
    const older = { type: 'chat.updated', chat: { id: 'c1', title: 'first', updatedAt: t(1) }, at: t(1) };
    const newer = { type: 'chat.updated', chat: { id: 'c1', title: 'second', updatedAt: t(2) }, at: t(2) };
    api.log.push(older, newer);
    latest().push(newer); // live, before the older one reaches us by sync
    await reconnect(socket);
    latest().push(newer); // a repeat
    expect(titles).toEqual(['second']);
  });

  it('an edit of a message held behind a gap reaches the app inside the message, once the gap is fetched', async () => {
    const history = { c1: [1, 2, 3].map((n) => message('c1', n)) };
    const api = server(history);
    const socket = await openSocket({ api });
    socket.track('c1', 1);
    const seen: string[] = [];
    socket.on('message.new', (e) => seen.push(`${e.message.seq}:${e.message.content}`));
    socket.on('message.edited', (e) => seen.push(`edited ${e.message.seq}`));
    latest().push({ type: 'message.new', chatId: 'c1', message: message('c1', 3), at: t(3) });
    latest().push({ type: 'message.edited', chatId: 'c1', message: { ...message('c1', 3), content: 'fixed', editedAt: t(4) }, at: t(4) });
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(250);
    expect(seen).toEqual(['2:#2', '3:fixed']);
  });

  it('sync_expired: takes a fresh cursor and emits syncExpired', async () => {
    const api = server();
    const cursorStore = new MemoryCursorStore();
    const socket = await openSocket({ api, cursorStore, backoff: { initialMs: 10 } });
    api.log.push({ type: 'message.new', chatId: 'c1', message: message('c1', 1), at: t(1) });
    api.expire();
    const expired: unknown[] = [];
    socket.on('syncExpired', (e) => expired.push(e));
    await reconnect(socket);
    expect(expired).toEqual([{ reason: 'sync_expired' }]);
    expect(api.calls).toEqual(['sync -', 'sync 0', 'sync -']);
    expect(cursorStore.get()).toBe('1');
  });

  it("the caller's own removal stops tracking the chat", async () => {
    const api = server();
    const socket = await openSocket({ api, userId: 'me' });
    socket.track('c1', 4);
    const removed: string[] = [];
    socket.on('participant.removed', (e) => removed.push(e.userId));
    latest().push({ type: 'participant.removed', chatId: 'c1', userId: 'bob', at: t(1) });
    expect(socket.lastSeq('c1')).toBe(4);
    latest().push({ type: 'participant.removed', chatId: 'c1', userId: 'me', at: t(2) });
    expect(removed).toEqual(['bob', 'me']);
    expect(socket.lastSeq('c1')).toBeUndefined();
  });

  it('reads the caller id from the token when not given', async () => {
    const payload = btoa(JSON.stringify({ sub: 'alice' })).replace(/=+$/, '');
    const socket = await openSocket({ api: server(), token: `h.${payload}.s` });
    socket.track('c1', 1);
    latest().push({ type: 'participant.removed', chatId: 'c1', userId: 'alice', at: t(2) });
    expect(socket.lastSeq('c1')).toBeUndefined();
  });

  it('a server without GET /v1/sync (404): catches up per tracked chat instead', async () => {
    const api = {
      ...server({ c1: [1, 2].map((n) => message('c1', n)) }),
      sync: async () => Promise.reject(Object.assign(new Error('no route'), { status: 404 })),
    };
    const socket = await openSocket({ api, backoff: { initialMs: 10 } });
    socket.track('c1', 0);
    const caughtUp: unknown[] = [];
    socket.on('caughtUp', (e) => caughtUp.push(e));
    await reconnect(socket);
    expect(caughtUp).toEqual([{ chats: 1, messages: 2, dropped: [] }]);
  });
});
