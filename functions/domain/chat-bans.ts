/**
 * SPEC §9 group bans: `POST /v1/chats/{chatId}/bans {userId, reason?,
 * expiresAt?}`, `GET …/bans`, `DELETE …/bans/{userId}`.
 *
 * Who may ban whom: the group's owner (anyone but themselves), a group
 * admin (members only: never the owner, never another admin), a platform
 * admin (anyone but the owner). Banning removes the user when present
 * (`participant.removed` to the participants and to them) and keeps them
 * out: adding them answers 409 `banned` (`addParticipants`) until the ban
 * is removed or `expiresAt` passes. A ban of someone not (or no longer) in
 * the group is allowed: it keeps them from being added.
 */
import { BadRequestError, ForbiddenError, NotFoundError } from './errors';
import { AUDIT_ACTIONS, recordAudit } from './audit';
import type { DomainContext } from './context';
import { canManageGroup, isActiveBan, requireManager } from './groups';
import { withSlot } from './limits';
import type { ChatBanRecord, Principal } from './types';
import { isAdmin } from './chats';

/** The group and the caller's membership; 400 for other chat types, 403 unless owner/admin or platform admin. */
async function requireGroupModerator(ctx: DomainContext, principal: Principal, chatId: string, slot: boolean) {
  const access = requireManager(ctx, principal, chatId);
  const { chat, membership } = slot ? await withSlot(ctx, principal.userId, 'writes', access) : await access;
  if (chat.type !== 'group') throw new BadRequestError('Bans apply to group chats.');
  if (!canManageGroup(principal, membership)) throw new ForbiddenError('Only the group\'s owner or admins may manage its bans.');
  return { chat, membership };
}

const view = (ban: ChatBanRecord) => {
  const { chatId: _c, ...rest } = ban;
  return rest;
};

/**
 * `POST /v1/chats/{id}/bans`. Replaces an existing ban of the same user
 * (new reason or expiry). Errors: 400 not a group, oneself, `expiresAt` not
 * in the future; 403 as above; 404 unknown user.
 */
export async function banFromChat(ctx: DomainContext, principal: Principal, chatId: string, input: { userId: string; reason?: string; expiresAt?: string }) {
  const { chat, membership } = await requireGroupModerator(ctx, principal, chatId, true);
  const now = ctx.now();
  if (input.userId === principal.userId) throw new BadRequestError('You cannot ban yourself.');
  if (input.expiresAt && Date.parse(input.expiresAt) <= now.getTime()) throw new BadRequestError('expiresAt must be in the future.');
  const [[target], user] = await Promise.all([ctx.repo.memberships.getMany(chatId, [input.userId]), ctx.repo.users.get(input.userId)]);
  if (!user && !target) throw new NotFoundError('User not found.');
  if (target?.role === 'owner') throw new ForbiddenError('The group\'s owner cannot be banned.');
  if (target?.role === 'admin' && membership?.role !== 'owner' && !isAdmin(principal)) throw new ForbiddenError('A group admin cannot ban another admin.');

  const ban: ChatBanRecord = {
    chatId,
    userId: input.userId,
    bannedBy: principal.userId,
    createdAt: now.toISOString(),
    ...(input.reason ? { reason: input.reason } : {}),
    ...(input.expiresAt ? { expiresAt: new Date(input.expiresAt).toISOString() } : {}),
  };
  // The ban first: a concurrent add then answers 409, and the removal below cannot be undone by it.
  await ctx.repo.chatBans.put(ban);
  if (target) {
    const audience = (await ctx.repo.memberships.listParticipants(chatId)).map((p) => p.userId);
    if (await ctx.repo.memberships.remove(chatId, input.userId)) {
      await ctx.notifier.toUsers([...new Set([...audience, input.userId])], { type: 'participant.removed', chatId, userId: input.userId });
    }
  }
  await recordAudit(ctx, principal, AUDIT_ACTIONS.chatBanned, { type: 'user', id: input.userId, chatId: chat.id }, { expiresAt: ban.expiresAt ?? null });
  return { ban: view(ban) };
}

/** `GET /v1/chats/{id}/bans`: the bans in force (expired ones are left out), oldest first; other chat types have none. */
export async function listChatBans(ctx: DomainContext, principal: Principal, chatId: string) {
  const { chat, membership } = await requireManager(ctx, principal, chatId);
  if (chat.type !== 'group') return { bans: [] };
  if (!canManageGroup(principal, membership)) throw new ForbiddenError('Only the group\'s owner or admins may manage its bans.');
  const now = ctx.now();
  return { bans: (await ctx.repo.chatBans.list(chatId)).filter((b) => isActiveBan(b, now)).map(view) };
}

/** `DELETE /v1/chats/{id}/bans/{userId}`: idempotent; the user can be added again. */
export async function unbanFromChat(ctx: DomainContext, principal: Principal, chatId: string, userId: string): Promise<void> {
  await requireGroupModerator(ctx, principal, chatId, true);
  if (await ctx.repo.chatBans.remove(chatId, userId)) {
    await recordAudit(ctx, principal, AUDIT_ACTIONS.chatUnbanned, { type: 'user', id: userId, chatId });
  }
}
