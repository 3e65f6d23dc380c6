/**
 * One catch-up through `GET /v1/sync` (SPEC §7): pages from the stored
 * cursor while `hasMore`, hands every event to `ingest` (which applies it
 * idempotently and emits it as if live), and stores each page's cursor only
 * after its events were ingested, so a crash mid-sync repeats events rather
 * than losing them (repeats change nothing: `freshness.ts`).
 *
 * - No stored cursor: takes one for "now" (`GET /v1/sync` without `since`,
 *   no events). The app loads its chats after this, so nothing falls between
 *   the load and the cursor.
 * - 410 `sync_expired` (the cursor is older than `SYNC_WINDOW_DAYS`): the
 *   cursor is cleared and a fresh one taken; the result says `expired`, and
 *   the app must reload its chat list and open chats.
 */
import type { SyncCursorStore } from './cursor-store.js';

/** An event as `GET /v1/sync` returns it: a §6 server event with `at`. */
export type SyncedEvent = { type: string; at?: string; [key: string]: unknown };

/** The answer of `GET /v1/sync`. */
export interface SyncPage {
  /** The generated `SyncResponse` events (typed interfaces, so no index signature here). */
  events: readonly { type: string }[];
  cursor: string;
  hasMore: boolean;
}

/** Where sync pages come from (a `ChatClient` fits: its `sync` method is generated from the route table). */
export interface SyncSource {
  sync(query?: { since?: string; limit?: number }): Promise<SyncPage>;
}

export interface SyncResult {
  /** Events handed to `ingest` (before de-duplication). */
  events: number;
  /** Requests made. */
  pages: number;
  /** True when there was no cursor and one was taken for "now". */
  fresh: boolean;
  /** True after 410 `sync_expired`: a fresh cursor was taken; the app must reload. */
  expired: boolean;
}

const isExpired = (error: unknown) => {
  const e = error as { status?: number; code?: string } | undefined;
  return e?.status === 410 || e?.code === 'sync_expired';
};

/** Runs one sync; throws the source's error for anything but `sync_expired` (the cursor stays: the next sync retries). */
export async function runSync(source: SyncSource, store: SyncCursorStore, ingest: (event: SyncedEvent) => void, limit = 500): Promise<SyncResult> {
  const result: SyncResult = { events: 0, pages: 0, fresh: false, expired: false };
  let cursor = await store.get();
  const takeFresh = async () => {
    const page = await source.sync({});
    result.pages++;
    await store.set(page.cursor);
  };
  if (!cursor) {
    result.fresh = true;
    await takeFresh();
    return result;
  }
  for (;;) {
    let page: SyncPage;
    try {
      page = await source.sync({ since: cursor, limit });
    } catch (error) {
      if (!isExpired(error)) throw error;
      result.expired = true;
      await store.clear();
      await takeFresh();
      return result;
    }
    result.pages++;
    for (const event of page.events) {
      result.events++;
      ingest(event as SyncedEvent);
    }
    const stuck = page.events.length === 0 && page.cursor === cursor; // a server bug must not spin us forever
    cursor = page.cursor;
    await store.set(cursor);
    if (!page.hasMore || stuck) return result;
  }
}
