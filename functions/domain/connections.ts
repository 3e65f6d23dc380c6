/**
 * WebSocket connection lifecycle and ephemeral signals (SPEC §6).
 */
import { requireParticipant } from './chats';
import type { DomainContext } from './context';
import type { ConnectionRecord, Principal } from './types';

/**
 * `$connect`: records the connection for the authenticated user. There is no
 * join step: every chat's fan-out finds the user's connections through
 * their presence item. `ttlSeconds` bounds how long a connection that never
 * sends `$disconnect` is considered open.
 */
export async function connect(ctx: DomainContext, principal: Principal, connectionId: string, ttlSeconds: number): Promise<ConnectionRecord> {
  const now = ctx.now();
  const connection: ConnectionRecord = {
    connectionId,
    userId: principal.userId,
    name: principal.name,
    roles: [...principal.roles],
    connectedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + ttlSeconds,
  };
  await ctx.repo.connections.put(connection);
  await ctx.repo.connections.addToPresence(principal.userId, connectionId, connection.expiresAt);
  return connection;
}

/**
 * Forgets a connection: on `$disconnect`, and when `@connections` answers 410
 * Gone. Idempotent; answers the removed record, if there was one.
 */
export async function disconnect(ctx: DomainContext, connectionId: string): Promise<ConnectionRecord | undefined> {
  const connection = await ctx.repo.connections.delete(connectionId);
  if (connection) await ctx.repo.connections.removeFromPresence(connection.userId, connectionId, ctx.now().toISOString());
  return connection;
}

/**
 * `typing {chatId, isTyping}`: relayed to the other participants'
 * connections, never stored and never echoed to the typist. Clients should
 * treat `isTyping: true` as expiring after a few seconds without a repeat.
 */
export async function typing(ctx: DomainContext, principal: Principal, chatId: string, isTyping: boolean): Promise<void> {
  await requireParticipant(ctx, principal, chatId);
  await ctx.notifier.toChat(chatId, { type: 'typing', chatId, userId: principal.userId, isTyping }, { exceptUserId: principal.userId });
}
