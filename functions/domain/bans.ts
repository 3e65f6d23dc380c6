/**
 * SPEC §9 platform bans: `PUT /v1/users/{userId} {banned: true, bannedReason?}`
 * (admin). A banned user gets 403 `banned` on every route but `/health`;
 * their open WebSocket connections are closed and new ones refused (403);
 * `{banned: false}` lifts it. Only admins see `banned` on a profile.
 *
 * Where the ban is checked, and what it costs:
 * - sends (HTTP and WebSocket) and `$connect` read the user's moderation
 *   item anyway (blocks, SPEC §9), strongly consistently: a ban holds there
 *   at once;
 * - every other route checks it through `bannedCheck` (`lib/ban-check.ts`),
 *   which remembers the answer per container for `BAN_CHECK_SECONDS` (30):
 *   one eventually consistent read per caller and container per period, in
 *   parallel with the directory write, instead of one per request. A ban
 *   therefore reaches those routes within that time; the container that
 *   banned forgets its memory of the user at once (locally: every route).
 */
import { BadRequestError, BannedError, NotFoundError } from './errors';
import { AUDIT_ACTIONS, recordAudit } from './audit';
import { expireConnection } from './connections';
import type { DomainContext } from './context';
import type { ModerationState, Principal } from './types';

/** 403 `banned` when the state carries a platform ban. */
export function refuseBanned(state: Pick<ModerationState, 'ban'>): void {
  if (state.ban) throw new BannedError();
}

/**
 * Bans (`banned: true`) or lifts a ban on `userId` (admin; SPEC §9). A ban
 * closes every open connection of the user through `@connections` DELETE
 * (no farewell frame: an `error` frame answers a client frame, SPEC §6; a
 * reconnect is refused with 403, which tells the client why). The ban is written before
 * the connections are read, and `$connect` reads the ban after recording
 * its connection (`connect`), so a connection opened during the ban is
 * either seen and closed here or refused there. Admins cannot ban
 * themselves (400). 404 for an unknown user.
 */
export async function setPlatformBan(ctx: DomainContext, admin: Principal, userId: string, banned: boolean, reason?: string): Promise<void> {
  if (banned && userId === admin.userId) throw new BadRequestError('You cannot ban yourself.');
  if (!(await ctx.repo.users.get(userId))) throw new NotFoundError('User not found.');
  await ctx.repo.moderation.setBan(userId, banned ? { at: ctx.now().toISOString(), by: admin.userId, ...(reason ? { reason } : {}) } : undefined);
  if (banned) await closeConnectionsOf(ctx, userId);
  await recordAudit(ctx, admin, banned ? AUDIT_ACTIONS.userBanned : AUDIT_ACTIONS.userUnbanned, { type: 'user', id: userId }, banned ? { reason: reason !== undefined } : undefined);
}

/** Closes every open connection of a user (SPEC §9 ban). */
async function closeConnectionsOf(ctx: DomainContext, userId: string): Promise<void> {
  const presence = (await ctx.repo.connections.getPresence([userId])).get(userId);
  await Promise.all((presence?.connections ?? []).map((c) => expireConnection(ctx, c.connectionId)));
}
