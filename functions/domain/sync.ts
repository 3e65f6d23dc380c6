/**
 * `GET /v1/sync?since=&limit=` (SPEC §7): the events a client missed, from
 * the change log that every published event is recorded in
 * (`change-log.ts`).
 *
 * A position is a change id (a ULID) or a time prefix of one (the first 10
 * characters: every id of that millisecond or later sorts above it). The
 * cursor holds:
 * - `p`: every change with an id ≤ `p` has been returned (the safe point);
 * - `q` (while paging): the last id of the previous page; the next page
 *   starts after it;
 * - `h` (while paging): the safe point the paging run will end at.
 * A cursor never moves past `now - SETTLE_MS` (changes older than that are
 * visible to every reader, `change-log.ts`), so the last page's cursor may
 * return, next time, a few events the client has seen: SPEC §7 allows it.
 *
 * Which chats a sync reads, in C chats, with R of them changed:
 * 1. one Query: the caller's memberships and their own log after the cursor;
 * 2. ⌈C/100⌉ BatchGetItem: the chats' heads (`ChangeStore.heads`);
 * 3. one Query per chat whose head is not older than the cursor (minus
 *    `HEAD_SLACK_MS`), and one per chat the caller left since.
 * An empty sync costs 1 + ⌈C/100⌉ requests; one with events R more.
 *
 * What the caller sees of a user they block (SPEC §9): the placeholders
 * they got live, from the `hide` recorded with each entry (`viewOf`).
 *
 * Which events: those of chats the caller is in, from when they joined
 * (`joinedAt`); of chats they left since the cursor, up to and including
 * their `participant.removed`; and their own log (`membership.updated`,
 * their removal, `chat.created` of chats they were added to). Within a chat,
 * in the order they were recorded. Pages hold the `limit` smallest ids
 * across all those logs, so no event is skipped however many share a
 * millisecond (ids are unique) and however many chats a page spans.
 */
import { encodeTime } from 'ulid';
import * as z from 'zod';
import { HEAD_SLACK_MS, SETTLE_MS } from './change-log';
import { effectiveMembership } from './chats';
import { hideEvents } from './hidden';
import type { DomainContext } from './context';
import { SyncExpiredError } from './errors';
import type { SyncEventT } from '../schemas';
import type { ChangeEntry, ServerEvent } from './ports';
import type { Principal } from './types';

/** What a sync cursor holds (see above); sealed for its caller by `ctx.cursors` (`cursors.ts`, kind `sync`). */
export interface SyncPosition {
  p: string;
  q?: string;
  h?: string;
}

/** A position: a change id (ULID) or its 10-character time prefix. */
const Position = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{10}([0-9A-HJKMNP-TV-Z]{16})?$/);
const SyncPositionShape = z.strictObject({ p: Position, q: Position.optional(), h: Position.optional() });

/** The position just below every change id of millisecond `ms` and later. */
export const positionAt = (ms: number) => encodeTime(Math.max(0, ms), 10);
/** The millisecond of a position. */
export const timeOfPosition = (position: string) => decodeTime10(position.slice(0, 10));

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function decodeTime10(prefix: string): number {
  let ms = 0;
  for (const ch of prefix) ms = ms * 32 + CROCKFORD.indexOf(ch);
  return ms;
}

/** How many chat logs a sync reads at once. */
const CONCURRENCY = 16;

export interface SyncInput {
  since?: string;
  limit: number;
}

export interface SyncResult {
  events: SyncEventT[];
  cursor: string;
  hasMore: boolean;
}

/** One range of one chat's log the caller may read: `after < id ≤ upTo`. */
interface Range {
  chatId: string;
  after: string;
  upTo?: string;
}

const later = (a: string, b: string) => (a > b ? a : b);

/**
 * SPEC §7. Errors: 400 a cursor that is not the caller's (forged, edited,
 * another user's); 410 `sync_expired` a cursor older than the sync window.
 */
export async function sync(ctx: DomainContext, principal: Principal, input: SyncInput): Promise<SyncResult> {
  const userId = principal.userId;
  // Bound to the caller: another user's cursor does not open (400), nor an edited or forged one.
  const scope = { kind: 'sync', caller: userId };
  const nowMs = ctx.now().getTime();
  const horizon = positionAt(nowMs - SETTLE_MS);
  if (input.since === undefined) return { events: [], cursor: ctx.cursors.seal(scope, { p: horizon }), hasMore: false };

  const position: SyncPosition = ctx.cursors.open(scope, input.since, SyncPositionShape);
  if (timeOfPosition(position.p) < nowMs - ctx.limits.syncWindowSeconds * 1000) throw new SyncExpiredError(ctx.limits.syncWindowSeconds);
  const after = position.q ?? position.p;
  const end = position.h ?? horizon;

  const { memberships, entries: own } = await ctx.repo.changes.userState(userId, after);
  const current = memberships.filter((m) => effectiveMembership(principal, m));
  const heads = current.length > 0 ? await ctx.repo.changes.heads(current.map((m) => m.chatId)) : new Map<string, string>();
  const changedSince = new Date(timeOfPosition(after) - HEAD_SLACK_MS).toISOString();

  const ranges: Range[] = [];
  for (const m of current) {
    const head = heads.get(m.chatId);
    if (head === undefined || head < changedSince) continue;
    ranges.push({ chatId: m.chatId, after: later(after, positionAt(Date.parse(m.joinedAt))) });
  }
  // Chats left since the cursor: their log up to the removal, from when the caller had joined.
  const removals = own.filter((e): e is ChangeEntry & { event: Extract<ServerEvent, { type: 'participant.removed' }> } => e.event.type === 'participant.removed');
  for (const removal of removals) {
    const chatId = removal.event.chatId;
    const previous = removals.filter((r) => r.event.chatId === chatId && r.id < removal.id).map((r) => r.id).sort().at(-1);
    let from = later(after, previous ?? after);
    if (removal.joinedAt) from = later(from, positionAt(Date.parse(removal.joinedAt)));
    ranges.push({ chatId, after: from, upTo: removal.id });
  }

  const pages = await mapLimited(ranges, CONCURRENCY, (r) => ctx.repo.changes.chatEntries(r.chatId, { after: r.after, upTo: r.upTo, limit: input.limit }));
  // A log with more than it returned bounds the page: past its last returned id, it may hold entries not read yet.
  let cut: string | undefined;
  for (const page of pages) if (page.more && page.entries.length > 0) cut = cut === undefined ? page.entries.at(-1)!.id : [cut, page.entries.at(-1)!.id].sort()[0];
  const byId = new Map<string, ChangeEntry>();
  for (const entry of [...own, ...pages.flatMap((p) => p.entries)]) byId.set(entry.id, entry);
  const candidates = [...byId.values()].filter((e) => cut === undefined || e.id <= cut).sort((a, b) => (a.id < b.id ? -1 : 1));
  const page = candidates.slice(0, input.limit);
  const hasMore = cut !== undefined || candidates.length > input.limit;

  const next: SyncPosition = hasMore && page.length > 0 ? { p: position.p, q: page.at(-1)!.id, h: end } : { p: later(position.p, end) };
  // The log holds no `typing` or `presence` (`change-log.ts` leaves them out).
  return { events: page.map((e) => viewOf(e, userId)), cursor: ctx.cursors.seal(scope, next), hasMore: hasMore && page.length > 0 };
}

/**
 * SPEC §9: an entry as the caller was shown it live: a placeholder if they
 * were among those who block its sender, a hidden reply preview if they
 * block the quoted message's sender (the `hide` recorded with the entry,
 * `change-log.ts`). No extra read: the sync budget stays 1 + ⌈C/100⌉.
 */
function viewOf(entry: ChangeEntry, userId: string): SyncEventT {
  const sender = entry.hide?.sender?.includes(userId) ?? false;
  const reply = !sender && (entry.hide?.reply?.includes(userId) ?? false);
  if (!sender && !reply) return entry.event as SyncEventT;
  return hideEvents([entry.event], { sender, reply })[0] as SyncEventT;
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
