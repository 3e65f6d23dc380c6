/**
 * The user directory (SPEC §2): own profile, public profiles with presence,
 * admin provisioning.
 */
import { displayText } from './text';
import { AUDIT_ACTIONS, recordAudit } from './audit';
import { erasedAccount, NotFoundError } from './errors';
import type { PublicUserT, UserT } from '../schemas';
import type { DomainContext } from './context';
import { setPlatformBan } from './bans';
import type { ModerationState, PlatformRole, Principal, PresenceRecord, UserRecord } from './types';
import { isOnline } from './views';
import { effectiveMembership, isAdmin } from './chats';

/**
 * Records the caller in the directory (SPEC §2: a user is known once they
 * have called any route or connected), name and roles from their token. A
 * `support` role counts for assignment for `limits.directoryRoleSeconds`
 * from now, so an agent demoted in the identity provider who never signs in
 * again drops out of the pool (see `UserRecord.supportUntil`). An erased
 * user (SPEC §10) is refused with 401 unless the route `allowErased`.
 * Resolves to the caller with the directory's name (the token's `name`
 * claim when it has one, else the name the directory already holds).
 */
export async function recordCaller(ctx: DomainContext, principal: Principal, options: { allowErased?: boolean } = {}): Promise<Principal> {
  const now = ctx.now();
  // SPEC §10: an erased user's tokens open nothing; the touch cannot bring the entry back (its write is conditional).
  const [erased, directoryName] = await Promise.all([
    ctx.repo.users.isErased(principal.userId, ctx.limits.erasureCheckSeconds),
    ctx.repo.users.touch(principal, now.toISOString(), Math.floor(now.getTime() / 1000) + ctx.limits.directoryRoleSeconds),
  ]);
  if (erased && !options.allowErased) throw erasedAccount();
  // Issue 19: a token without a `name` claim (Cognito access tokens) shows the directory's name, e.g. what
  // PUT /v1/users/{id} provisioned, not its `cognito:username` fallback.
  return directoryName !== undefined && directoryName !== principal.name ? { ...principal, name: directoryName } : principal;
}

/** Whether the directory offers this user as a support agent at `now` (role present and not lapsed). */
export function isDirectoryAgent(user: UserRecord, now: Date): boolean {
  return user.roles.includes('support') && (user.supportUntil ?? 0) >= now.getTime() / 1000;
}

/** `GET /v1/me`: the caller as the token describes them. */
export function me(principal: Principal): UserT {
  return { id: principal.userId, name: principal.name, roles: [...principal.roles], email: principal.email };
}

/**
 * `GET /v1/users/{id}` (SPEC §4): `{id, name}` for every caller; `roles`,
 * `online` and `lastSeenAt` only for the user themselves, platform admins
 * and callers who share a chat with them (issue 13 item 16: roles and
 * presence are not for strangers who guessed an id). 404 when unknown.
 *
 * Cost: the profile (one GetItem) and, for other callers, both users'
 * memberships (one Query of each user's partition, in parallel: one round
 * trip, ⌈M/1 MB⌉ pages each), then the presence item only when it is shown.
 * Agent memberships count only while the caller's token has `support`.
 * Admins also see `banned` (and `bannedReason`), SPEC §9: their read adds
 * one GetItem of the moderation item.
 */
export async function getUser(ctx: DomainContext, principal: Principal, userId: string): Promise<PublicUserT> {
  const self = principal.userId === userId || isAdmin(principal);
  const [user, shared] = await Promise.all([ctx.repo.users.get(userId), self ? Promise.resolve(true) : sharesChat(ctx, principal, userId)]);
  if (!user) throw new NotFoundError('User not found.');
  // SPEC §10: all that stays of an erased user, whoever asks.
  if (user.deleted) return { id: user.id, name: user.name, deleted: true };
  if (!shared) return { id: user.id, name: user.name };
  const [presence, moderation] = await Promise.all([ctx.repo.connections.getPresence([userId]), isAdmin(principal) ? ctx.repo.moderation.state(userId) : undefined]);
  const profile = publicProfile(user, presence.get(userId), ctx.now());
  return moderation ? withBan(profile, moderation) : profile;
}

/** SPEC §9: `banned` (and `bannedReason`) on a profile, for admins only. */
function withBan<P extends PublicUserT>(profile: P, state: ModerationState): P {
  return { ...profile, banned: state.ban !== undefined, ...(state.ban?.reason ? { bannedReason: state.ban.reason } : {}) };
}

/** Whether the caller and `userId` are participants of one chat (the caller's agent memberships only with the `support` role). */
async function sharesChat(ctx: DomainContext, principal: Principal, userId: string): Promise<boolean> {
  const [mine, theirs] = await Promise.all([ctx.repo.memberships.listByUser(principal.userId), ctx.repo.memberships.listByUser(userId)]);
  const chats = new Set(mine.filter((m) => effectiveMembership(principal, m)).map((m) => m.chatId));
  return theirs.some((m) => chats.has(m.chatId));
}

function publicProfile(user: UserRecord, presence: PresenceRecord | undefined, now: Date): UserT {
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
 * With `banned` (SPEC §9) it also bans or lifts a ban (`setPlatformBan`);
 * `banned` alone changes nothing else and needs a known user (404).
 */
export async function putUser(
  ctx: DomainContext,
  userId: string,
  input: { name?: string; roles?: PlatformRole[]; email?: string; banned?: boolean; bannedReason?: string },
  admin: Principal,
): Promise<UserT> {
  let profile: UserT;
  if (input.name !== undefined) profile = await provision(ctx, userId, { ...input, name: input.name }, admin);
  else {
    // A ban alone changes nothing else of the entry (SPEC §9).
    const user = await ctx.repo.users.get(userId);
    if (!user) throw new NotFoundError('User not found.');
    profile = { id: user.id, name: user.name, roles: user.roles, email: user.email };
  }
  if (input.banned === undefined) return profile;
  await setPlatformBan(ctx, admin, userId, input.banned, input.bannedReason);
  return { ...profile, banned: input.banned, ...(input.banned && input.bannedReason ? { bannedReason: input.bannedReason } : {}) };
}

async function provision(ctx: DomainContext, userId: string, input: { name: string; roles?: PlatformRole[]; email?: string }, admin: Principal): Promise<UserT> {
  const name = displayText(input.name, 'name');
  const at = ctx.now();
  const now = at.toISOString();
  const roles = [...new Set<PlatformRole>(['user', ...(input.roles ?? [])])];
  // A provisioned support role lapses like one seen in a token, unless the user signs in with it.
  const supportUntil = roles.includes('support') ? Math.floor(at.getTime() / 1000) + ctx.limits.directoryRoleSeconds : undefined;
  const user = await ctx.repo.users.put({ id: userId, name, roles, email: input.email, createdAt: now, updatedAt: now, supportUntil });
  await recordAudit(ctx, admin, AUDIT_ACTIONS.userProvisioned, { type: 'user', id: userId }, { roles: roles.join(',') });
  return { id: user.id, name: user.name, roles: user.roles, email: user.email };
}
