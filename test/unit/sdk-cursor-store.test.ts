/**
 * Sync cursor stores (sdk/src/cursor-store.ts) and one sync run
 * (sdk/src/sync.ts): the cursor survives in the store, pages are followed
 * while `hasMore`, the cursor is stored only after a page's events were
 * ingested, and 410 `sync_expired` takes a fresh cursor.
 */
import { describe, expect, it } from 'vitest';
import { LocalStorageCursorStore, MemoryCursorStore, type StorageLike } from '../../sdk/src/index';
import { runSync, type SyncPage } from '../../sdk/src/sync';

class MapStorage implements StorageLike {
  readonly items = new Map<string, string>();
  failing = false;
  getItem(key: string) {
    if (this.failing) throw new Error('SecurityError');
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    if (this.failing) throw new Error('QuotaExceededError');
    this.items.set(key, value);
  }
  removeItem(key: string) {
    if (this.failing) throw new Error('SecurityError');
    this.items.delete(key);
  }
}

describe('sync cursor stores', () => {
  it('memory store keeps one cursor', () => {
    const store = new MemoryCursorStore();
    expect(store.get()).toBeUndefined();
    store.set('c1');
    expect(store.get()).toBe('c1');
    store.clear();
    expect(store.get()).toBeUndefined();
    expect(new MemoryCursorStore('seed').get()).toBe('seed');
  });

  it('localStorage store persists under its key (a second instance, like a reloaded page, reads it)', () => {
    const storage = new MapStorage();
    new LocalStorageCursorStore('chat.sync.alice', storage).set('cur-a');
    new LocalStorageCursorStore('chat.sync.bob', storage).set('cur-b');
    expect(new LocalStorageCursorStore('chat.sync.alice', storage).get()).toBe('cur-a');
    expect(storage.items.get('chat.sync.bob')).toBe('cur-b');
    new LocalStorageCursorStore('chat.sync.alice', storage).clear();
    expect(storage.items.has('chat.sync.alice')).toBe(false);
  });

  it('localStorage store degrades to memory when storage throws', () => {
    const storage = new MapStorage();
    const store = new LocalStorageCursorStore('k', storage);
    storage.failing = true;
    store.set('cur');
    expect(store.get()).toBe('cur');
    store.clear();
    expect(store.get()).toBeUndefined();
  });
});

/** A sync endpoint over a fixed event log: cursors are positions, `limit` per page. */
function syncApi(log: { type: string; n: number }[], options: { expireBelow?: number } = {}) {
  const calls: { since?: string; limit?: number }[] = [];
  return {
    calls,
    async sync(query: { since?: string; limit?: number } = {}): Promise<SyncPage> {
      calls.push(query);
      if (query.since === undefined) return { events: [], cursor: String(log.length), hasMore: false };
      const from = Number(query.since);
      if (options.expireBelow !== undefined && from < options.expireBelow) throw Object.assign(new Error('expired'), { status: 410, code: 'sync_expired' });
      const limit = query.limit ?? 100;
      const events = log.slice(from, from + limit);
      return { events, cursor: String(from + events.length), hasMore: from + limit < log.length };
    },
  };
}

describe('one sync run', () => {
  const log = Array.from({ length: 7 }, (_, n) => ({ type: 'message.edited', n }));

  it('without a cursor takes one for now (no events) and stores it', async () => {
    const api = syncApi(log);
    const store = new MemoryCursorStore();
    const seen: unknown[] = [];
    expect(await runSync(api, store, (e) => seen.push(e))).toEqual({ events: 0, pages: 1, fresh: true, expired: false });
    expect(api.calls).toEqual([{}]);
    expect(store.get()).toBe('7');
    expect(seen).toEqual([]);
  });

  it('pages from the stored cursor while hasMore, storing each cursor after its events', async () => {
    const api = syncApi(log);
    const store = new MemoryCursorStore('1');
    const seen: number[] = [];
    const storedWhenSeen: (string | undefined)[] = [];
    const result = await runSync(api, store, (e) => {
      seen.push(Number(e.n));
      storedWhenSeen.push(store.get());
    }, 2);
    expect(result).toEqual({ events: 6, pages: 3, fresh: false, expired: false });
    expect(api.calls.map((c) => c.since)).toEqual(['1', '3', '5']);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(storedWhenSeen).toEqual(['1', '1', '3', '3', '5', '5']);
    expect(store.get()).toBe('7');
  });

  it('410 sync_expired clears the cursor and takes a fresh one', async () => {
    const api = syncApi(log, { expireBelow: 3 });
    const store = new MemoryCursorStore('0');
    const result = await runSync(api, store, () => undefined);
    expect(result).toEqual({ events: 0, pages: 1, fresh: false, expired: true });
    expect(store.get()).toBe('7');
  });

  it('other failures throw and keep the cursor for the next try', async () => {
    const store = new MemoryCursorStore('2');
    const failing = { sync: async () => Promise.reject(Object.assign(new Error('down'), { status: 503 })) };
    await expect(runSync(failing, store, () => undefined)).rejects.toMatchObject({ status: 503 });
    expect(store.get()).toBe('2');
  });
});
