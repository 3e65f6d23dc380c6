/**
 * Where `ChatSocket` keeps its sync cursor (SPEC §7: the opaque `cursor` of
 * `GET /v1/sync`, passed back as `since`). The cursor belongs to one user
 * (another user's cursor answers 400), so a store keyed per user is the
 * app's job: name the key after the signed-in user.
 *
 * - {@link MemoryCursorStore} (the default): lives as long as the socket; a
 *   restarted app takes a fresh cursor and reloads its chats.
 * - {@link LocalStorageCursorStore}: browsers; survives reloads, so a tab
 *   that comes back catches up with one sync instead of a reload.
 * - Anything else (a file, SQLite, IndexedDB, the keychain): implement
 *   {@link SyncCursorStore}; both methods may be async.
 */

/** A place for one sync cursor. `get` answers undefined when none is stored. */
export interface SyncCursorStore {
  get(): string | undefined | Promise<string | undefined>;
  set(cursor: string): void | Promise<void>;
  /** Forgets the cursor (sign-out, `sync_expired`). */
  clear(): void | Promise<void>;
}

/** Keeps the cursor in memory (the default store). */
export class MemoryCursorStore implements SyncCursorStore {
  private cursor: string | undefined;
  constructor(initial?: string) {
    this.cursor = initial;
  }
  get(): string | undefined {
    return this.cursor;
  }
  set(cursor: string): void {
    this.cursor = cursor;
  }
  clear(): void {
    this.cursor = undefined;
  }
}

/** The subset of the Web Storage API the adapter uses (`localStorage`, `sessionStorage`, or a test double). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Keeps the cursor in `localStorage` under `key` (put the user id in it:
 * `chat.sync.${userId}`). A storage that throws (Safari private mode, quota
 * exceeded, storage disabled) degrades to memory: syncing still works for
 * this page's lifetime.
 */
export class LocalStorageCursorStore implements SyncCursorStore {
  private readonly fallback = new MemoryCursorStore();
  private readonly storage: StorageLike | undefined;

  constructor(
    private readonly key: string,
    storage?: StorageLike,
  ) {
    this.storage = storage ?? (globalThis as { localStorage?: StorageLike }).localStorage;
  }

  get(): string | undefined {
    try {
      return this.storage?.getItem(this.key) ?? this.fallback.get();
    } catch {
      return this.fallback.get();
    }
  }

  set(cursor: string): void {
    this.fallback.set(cursor);
    try {
      this.storage?.setItem(this.key, cursor);
    } catch {
      // quota or disabled storage: the in-memory copy keeps this page in sync
    }
  }

  clear(): void {
    this.fallback.clear();
    try {
      this.storage?.removeItem(this.key);
    } catch {
      // as above
    }
  }
}
