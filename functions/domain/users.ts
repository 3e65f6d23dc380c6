/**
 * The user directory (SPEC §2): own profile, public profiles with presence,
 * admin provisioning.
 */
import { AUDIT_ACTIONS, recordAudit } from './audit';
import { erasedAccount, NotFoundError } from './errors';
import type { UserT } from '../schemas';
import type { DomainContext } from './context';
import type { PlatformRole, Principal, PresenceRecord, UserRecord } from './types';
import { isOnline } from './views';

/**
 * Records the caller in the directory (SPEC §2: a user is known once they
 * have called any route or connected), name and roles from their token. A
 * `support` role counts for assignment for `limits.directoryRoleSeconds`
 * from now, so an agent demoted in the identity provider who never signs in
 * again drops out of the pool (see `UserRecord.supportUntil`). An erased
 * user (SPEC §10) is refused with 401 unless the route `allowErased`.
 */
export async function recordCaller(ctx: DomainContext, principal: Principal, options: { allowErased?: boolean } = {}): Promise<void> {
  const now = ctx.now();
  // SPEC §10: an erased user's tokens open nothing; the touch cannot bring the entry back (its write is conditional).
  const [erased] = await Promise.all([
    ctx.repo.users.isErased(principal.userId, ctx.limits.erasureCheckSeconds),
    ctx.repo.users.touch(principal, now.toISOString(), Math.floor(now.getTime() / 1000) + ctx.limits.directoryRoleSeconds),
  ]);
  if (erased && !options.allowErased) throw erasedAccount();
}

/** Whether the directory offers this user as a support agent at `now` (role present and not lapsed). */
export function isDirectoryAgent(user: UserRecord, now: Date): boolean {
  return user.roles.includes('support') && (user.supportUntil ?? 0) >= now.getTime() / 1000;
}

/** `GET /v1/me`: the caller as the token describes them. */
export function me(principal: Principal): UserT {
  return { id: principal.userId, name: principal.name, roles: [...principal.roles], email: principal.email };
}

/** `GET /v1/users/{id}`: public profile `{id, name, roles, online, lastSeenAt}`; 404 when unknown. */
export async function getUser(ctx: DomainContext, userId: string): Promise<UserT> {
  const [user, presence] = await Promise.all([ctx.repo.users.get(userId), ctx.repo.connections.getPresence([userId])]);
  if (!user) throw new NotFoundError('User not found.');
  return publicProfile(user, presence.get(userId), ctx.now());
}

function publicProfile(user: UserRecord, presence: PresenceRecord | undefined, now: Date): UserT {
  // SPEC §10: all that stays of an erased user.
  if (user.deleted) return { id: user.id, name: user.name, roles: ['user'], deleted: true };
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const online = isOnline(presence, nowSeconds);
  // A connection that vanished without `$disconnect` was last seen, at the latest, when its record expired.
  const expired = (presence?.connections ?? []).map((c) => new Date(c.expiresAt * 1000).toISOString());
  const lastSeenAt = online ? now.toISOString() : ([presence?.lastSeenAt, ...expired].filter(Boolean).sort().at(-1) ?? null);
  return { id: user.id, name: user.name, roles: user.roles, online, lastSeenAt };
}

/**
 * `PUT /v1/users/{id}` (admin): provision or update a directory entry before
 * the user's first sign-in. Roles here describe the user in the directory
 * (e.g. who can be assigned support chats, for `directoryRoleSeconds` unless
 * the user signs in with the role); what a caller may do is always decided
 * by the roles in their token (SPEC §2). Audited as `user.provisioned` (SPEC §10).
 */
export async function putUser(
  ctx: DomainContext,
  userId: string,
  input: { name: string; roles?: PlatformRole[]; email?: string },
  admin: Principal,
): Promise<UserT> {
  const at = ctx.now();
  const now = at.toISOString();
  const roles = [...new Set<PlatformRole>(['user', ...(input.roles ?? [])])];
  // A provisioned support role lapses like one seen in a token, unless the user signs in with it.
  const supportUntil = roles.includes('support') ? Math.floor(at.getTime() / 1000) + ctx.limits.directoryRoleSeconds : undefined;
  const user = await ctx.repo.users.put({ id: userId, name: input.name, roles, email: input.email, createdAt: now, updatedAt: now, supportUntil });
  await recordAudit(ctx, admin, AUDIT_ACTIONS.userProvisioned, { type: 'user', id: userId }, { roles: roles.join(',') });
  return { id: user.id, name: user.name, roles: user.roles, email: user.email };
}
