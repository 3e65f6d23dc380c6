/**
 * WebSocket connection lifecycle and ephemeral signals (SPEC §6).
 */
import { BannedError, UnauthorizedError } from './errors';
import { requireParticipant } from './chats';
import type { DomainContext } from './context';
import { typingRelayed } from './limits';
import type { ConnectionRecord, ModerationState, Principal } from './types';

/**
 * `$connect`: records the connection for the authenticated user. There is no
 * join step: every chat's fan-out finds the user's connections through
 * their presence item. `ttlSeconds` bounds how long a connection that never
 * sends `$disconnect` is considered open. The user's first open connection
 * sends `presence {online: true}` to their contacts. The connection expires
 * with the token it was opened with (`Principal.tokenExpiresAt`), or after
 * `ttlSeconds`, whichever comes first (SPEC §6).
 */
export async function connect(ctx: DomainContext, principal: Principal, connectionId: string, ttlSeconds: number): Promise<ConnectionRecord> {
  const now = ctx.now();
  const connection: ConnectionRecord = {
    connectionId,
    userId: principal.userId,
    name: principal.name,
    // SPEC §6: the roles of the token the connection was opened with, for as long as it lives.
    roles: [...principal.roles],
    connectedAt: now.toISOString(),
    // SPEC §6: no longer than its token. Fan-out skips the presence entry from then on, frames are refused.
    expiresAt: Math.min(Math.floor(now.getTime() / 1000) + ttlSeconds, principal.tokenExpiresAt ?? Number.MAX_SAFE_INTEGER),
  };
  await ctx.repo.connections.put(connection);
  const presence = await ctx.repo.connections.addToPresence(principal.userId, connectionId, connection.expiresAt);
  // SPEC §9: read after the connection is recorded, so a ban landing meanwhile either sees this connection
  // (and closes it) or is seen here (`bans.ts`).
  const state = await ctx.repo.moderation.state(principal.userId, true);
  if (state.ban) {
    await ctx.repo.connections.delete(connectionId);
    await ctx.repo.connections.removeFromPresence(principal.userId, connectionId, now.toISOString());
    throw new BannedError();
  }
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const live = presence.connections.filter((c) => c.expiresAt > nowSeconds);
  if (live.length === 1) {
    await announcePresence(ctx, principal.userId, { type: 'presence', userId: principal.userId, online: true }, state);
  }
  const excess = live.length - ctx.limits.maxConnectionsPerUser;
  if (excess > 0) await closeOldest(ctx, live.map((c) => c.connectionId).filter((id) => id !== connectionId), excess);
  return connection;
}

/**
 * SPEC §5: at most `limits.maxConnectionsPerUser` (10) connections per user;
 * opening one more closes the oldest (by `connectedAt`) through `@connections`
 * DELETE, so one user cannot slow every
 * fan-out with hundreds of sockets (issue 13 item 17). Only then are the
 * records read (at most 10 GetItem). Concurrent opens may pick the same
 * oldest connection: closing is idempotent, and the next open trims again.
 */
async function closeOldest(ctx: DomainContext, others: string[], excess: number): Promise<void> {
  const records = (await Promise.all(others.map((id) => ctx.repo.connections.get(id)))).filter((r): r is ConnectionRecord => r !== undefined);
  const known = new Set(records.map((r) => r.connectionId));
  // A presence entry without a record is a leftover: it goes first.
  const byAge = records.sort((a, b) => a.connectedAt.localeCompare(b.connectedAt) || a.connectionId.localeCompare(b.connectionId)).map((r) => r.connectionId);
  const order = [...others.filter((id) => !known.has(id)), ...byAge];
  // No farewell frame: SPEC §6 has no unsolicited error frame; the client sees the close and may reconnect.
  await Promise.all(order.slice(0, excess).map((id) => expireConnection(ctx, id)));
}

/**
 * Sends a `presence` event to the user's contacts: the other participants
 * of their direct and support chats (SPEC §6). Those chats keep their
 * participant ids on the chat item, so this costs one Query of the user's
 * memberships and ⌈C/100⌉ BatchGetItem, not a query per chat. Groups are
 * left out on purpose: a presence change in a 1,000-member group would
 * cost 1,000 deliveries. SPEC §9: nobody who blocks the user, or whom the
 * user blocks, gets it (`state`: the user's moderation state, read here
 * when the caller has not).
 */
async function announcePresence(
  ctx: DomainContext,
  userId: string,
  event: { type: 'presence'; userId: string; online: boolean; lastSeenAt?: string },
  state?: ModerationState,
) {
  const [memberships, moderation] = await Promise.all([ctx.repo.memberships.listByUser(userId), state ?? ctx.repo.moderation.state(userId)]);
  const contactChats = memberships.filter((m) => m.chatType === 'direct' || m.chatType === 'support');
  if (contactChats.length === 0) return;
  const chats = await ctx.repo.chats.getMany(contactChats.map((m) => m.chatId));
  const contacts = new Set(chats.flatMap((c) => c.participantIds ?? []));
  contacts.delete(userId);
  for (const other of [...moderation.blockedBy, ...moderation.blocking]) contacts.delete(other);
  if (contacts.size > 0) await ctx.notifier.toUsers([...contacts], event);
}

/**
 * Forgets a connection: on `$disconnect`, and when `@connections` answers 410
 * Gone. When it was the user's last open connection, their contacts get
 * `presence {online: false, lastSeenAt}`. Idempotent; answers the removed
 * record, if there was one.
 */
export async function disconnect(ctx: DomainContext, connectionId: string): Promise<ConnectionRecord | undefined> {
  const connection = await ctx.repo.connections.delete(connectionId);
  if (!connection) return undefined;
  const now = ctx.now();
  const presence = await ctx.repo.connections.removeFromPresence(connection.userId, connectionId, now.toISOString());
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (!presence.connections.some((c) => c.expiresAt > nowSeconds)) {
    await announcePresence(ctx, connection.userId, { type: 'presence', userId: connection.userId, online: false, lastSeenAt: now.toISOString() });
  }
  return connection;
}

/**
 * A frame from a connection whose token has expired, or whose record is gone
 * (401 `unauthorized`). The WebSocket stack answers it, then ends the
 * connection (`expireConnection`).
 */
export class ConnectionExpiredError extends UnauthorizedError {
  constructor(
    readonly connectionId: string,
    registered: boolean,
  ) {
    super(registered ? 'The token this connection was opened with has expired; reconnect with a fresh token.' : 'This connection is not registered; reconnect.');
  }
}

/**
 * The caller of a frame (SPEC §6): the user, name and roles recorded at
 * `$connect`, from the token. A connection whose token has expired (or
 * whose record is gone) throws `ConnectionExpiredError`: the frame answers
 * `unauthorized` and the connection is closed; the client reconnects with a
 * fresh token. A record not found is looked up once more with a strongly
 * consistent read before that, since a frame can follow `$connect` within
 * milliseconds.
 */
export async function frameCaller(ctx: DomainContext, connectionId: string): Promise<Principal> {
  const connection = (await ctx.repo.connections.get(connectionId)) ?? (await ctx.repo.connections.get(connectionId, true));
  if (connection && connection.expiresAt > Math.floor(ctx.now().getTime() / 1000)) {
    return { userId: connection.userId, name: connection.name, roles: connection.roles, tokenExpiresAt: connection.expiresAt };
  }
  throw new ConnectionExpiredError(connectionId, connection !== undefined);
}

/**
 * Ends a connection that outlived its token (or its record): posts
 * `farewell` (the answer to its last frame) first, when given, then closes
 * it through `@connections` DELETE (API Gateway then sends `$disconnect`,
 * which finds nothing left to do) and forgets it now, so contacts see the
 * user offline when it was their last connection.
 */
export async function expireConnection(ctx: DomainContext, connectionId: string, farewell?: string): Promise<void> {
  await ctx.notifier.close(connectionId, farewell);
  await disconnect(ctx, connectionId);
}

/**
 * A connection may be recorded (and found by fan-out) while its `$connect`
 * is still running, when API Gateway already answers 410 for it. Up to the
 * `$connect` integration timeout (29 s) a 410 therefore does not prove the
 * connection is gone.
 */
export const CONNECT_GRACE_SECONDS = 30;

/**
 * After `@connections` answered 410 Gone: forgets the connection, unless it
 * is young enough to be still connecting (see `CONNECT_GRACE_SECONDS`).
 * Answers whether it was removed.
 */
export async function forgetGoneConnection(ctx: DomainContext, connectionId: string): Promise<boolean> {
  const connection = await ctx.repo.connections.get(connectionId);
  if (connection && ctx.now().getTime() - Date.parse(connection.connectedAt) < CONNECT_GRACE_SECONDS * 1000) return false;
  return (await disconnect(ctx, connectionId)) !== undefined || connection === undefined;
}

/**
 * `typing {chatId, isTyping}`: relayed to the other participants'
 * connections, never stored and never echoed to the typist. Clients should
 * treat `isTyping: true` as expiring after a few seconds without a repeat.
 *
 * SPEC §5: at most one `typing` per user per chat is relayed every
 * `typingIntervalSeconds` (2 s); extra frames are acked and dropped, so a
 * typing flood costs its sender one conditional write per frame and its
 * chat nothing. The throttle and the access check run in the same round
 * trip (with the typist's moderation item: SPEC §9, no typing between a
 * blocker and the blocked); a non-participant gets the 404 of a missing
 * chat either way.
 * Answers whether the event was relayed.
 */
export async function typing(ctx: DomainContext, principal: Principal, chatId: string, isTyping: boolean): Promise<{ relayed: boolean }> {
  const [access, relayed, moderation] = await Promise.allSettled([
    requireParticipant(ctx, principal, chatId),
    typingRelayed(ctx, principal.userId, chatId),
    ctx.repo.moderation.state(principal.userId),
  ]);
  if (access.status === 'rejected') throw access.reason;
  if (relayed.status === 'rejected') throw relayed.reason;
  if (moderation.status === 'rejected') throw moderation.reason;
  if (!relayed.value) return { relayed: false };
  // SPEC §9: typing never reaches anyone who blocks the typist or whom the typist blocks.
  const hidden = [...moderation.value.blockedBy, ...moderation.value.blocking];
  await ctx.notifier.toChat(
    access.value.chat,
    { type: 'typing', chatId, userId: principal.userId, isTyping },
    { exceptUserId: principal.userId, ...(hidden.length > 0 ? { hide: { sender: hidden } } : {}) },
  );
  return { relayed: true };
}
