/**
 * Managing a chat after it exists (SPEC §3-§4): title and metadata, support
 * status, participants, and the per-user archive flag.
 *
 * Who may do what:
 * | Change | group chat | support chat | direct chat |
 * |---|---|---|---|
 * | title, metadata | group owner/admin, platform admin | assignee, support agents, admins | no |
 * | status | no | assignee, support agents, admins; `closed` is final | no |
 * | add participants | group owner/admin, platform admin | no (use the assignee route) | no |
 * | remove a participant | owner (anyone), group admin (members), platform admin, self (leave) | no | no |
 * | archive | every participant, for themselves | same | same |
 * | frozen (SPEC §9) | group owner/admin, platform admin | support agents, admins | platform admin |
 *
 * A chat the caller cannot see answers 404, as everywhere (SPEC §3).
 */
import { displayText } from './text';
import { AUDIT_ACTIONS, managesGroup, recordAudit } from './audit';
import { BadRequestError, BannedError, chatNotFound, ChatFrozenError, ConflictError, ForbiddenError, NotFoundError } from './errors';
import type { ChatT } from '../schemas';
import { announceMembership } from './notifications';
import { chatWithParticipants, contentFor, effectiveMembership, isAdmin, requireParticipant, sharedView } from './chats';
import type { DomainContext } from './context';
import { takeSlot, withSlot } from './limits';
import type { ChatChanges } from './ports';
import type { ChatBanRecord, ChatRecord, MembershipRecord, ParticipantRole, Principal, SupportStatus } from './types';
import { withoutContent } from './views';

export const isSupportAgent = (p: Principal) => p.roles.includes('support');

/**
 * The chat for a change by `principal`: participants see their chats;
 * support agents and admins also see every support chat; admins every chat.
 */
export async function requireManager(ctx: DomainContext, principal: Principal, chatId: string) {
  const found = await ctx.repo.chats.getWithMembership(chatId, principal.userId);
  const { chat } = found;
  const membership = effectiveMembership(principal, found.membership);
  const visible = chat && (membership || isAdmin(principal) || (chat.type === 'support' && isSupportAgent(principal)));
  if (!chat || !visible) throw chatNotFound();
  return { chat, membership };
}

export const canManageGroup = (principal: Principal, membership?: MembershipRecord) =>
  isAdmin(principal) || membership?.role === 'owner' || membership?.role === 'admin';

const canManageSupport = (principal: Principal, chat: ChatRecord) =>
  isAdmin(principal) || isSupportAgent(principal) || chat.assigneeId === principal.userId;

export interface UpdateChatInput {
  title?: string;
  metadata?: Record<string, unknown>;
  status?: SupportStatus;
  frozen?: boolean;
}

/**
 * `PATCH /v1/chats/{id}`: see the table above. Emits `chat.updated` to the
 * participants. Closing a support chat frees its requester to open a new one
 * (`POST /v1/chats/support`). Errors: 400 nothing to change or a field that
 * does not apply, 403 not allowed, 404 not visible, 409 changed from
 * `closed` or changed concurrently.
 */
export async function updateChat(ctx: DomainContext, principal: Principal, chatId: string, input: UpdateChatInput): Promise<ChatT> {
  if (input.title === undefined && input.metadata === undefined && input.status === undefined && input.frozen === undefined) {
    throw new BadRequestError('Give at least one of title, metadata, status or frozen.');
  }
  const title = input.title === undefined ? undefined : displayText(input.title, 'title');
  const { chat, membership } = await withSlot(ctx, principal.userId, 'writes', requireManager(ctx, principal, chatId));
  if (input.frozen !== undefined) checkMayFreeze(principal, chat, membership);
  if (chat.type === 'direct') {
    if (input.title !== undefined || input.metadata !== undefined || input.status !== undefined) {
      throw new BadRequestError('Direct chats have no title, metadata or status to change.');
    }
  } else if (chat.type === 'group') {
    if (input.status !== undefined) throw new BadRequestError('Only support chats have a status.');
    if (!canManageGroup(principal, membership)) throw new ForbiddenError('Only the group\'s owner or admins may change it.');
  } else if (!canManageSupport(principal, chat)) {
    throw new ForbiddenError('Only the assignee, support agents or admins may change a support chat.');
  }
  if (chat.status === 'closed' && input.status !== undefined && input.status !== 'closed') {
    throw new ConflictError('A closed support chat stays closed; open a new one.');
  }

  const changes: ChatChanges = { updatedAt: ctx.now().toISOString() };
  if (title !== undefined) changes.title = title;
  if (input.metadata !== undefined) changes.metadata = input.metadata;
  if (input.status !== undefined) changes.status = input.status;
  if (input.frozen !== undefined) changes.frozen = input.frozen;
  const closing = input.status === 'closed' && chat.status !== 'closed';
  const updated = await ctx.repo.chats.update(chat, changes, {
    expect: chat.type === 'support' ? { status: chat.status } : undefined,
    releaseUnique: closing && chat.requesterId ? { kind: 'support', requesterId: chat.requesterId } : undefined,
  });
  if (!updated) throw new ConflictError('The chat changed meanwhile; read it again and retry.');
  await auditUpdate(ctx, principal, chat, membership, input);
  if (input.frozen !== undefined && input.frozen !== (chat.frozen ?? false)) {
    await recordAudit(ctx, principal, input.frozen ? AUDIT_ACTIONS.chatFrozen : AUDIT_ACTIONS.chatUnfrozen, { type: 'chat', id: chatId });
  }
  return announceUpdate(ctx, updated, membership, principal);
}

/**
 * SPEC §9: who may freeze or unfreeze a chat: a group's owner or admins,
 * support agents (and the assignee) in support chats, platform admins
 * anywhere (direct chats: only they). 403 otherwise.
 */
function checkMayFreeze(principal: Principal, chat: ChatRecord, membership: MembershipRecord | undefined): void {
  const allowed =
    isAdmin(principal) ||
    (chat.type === 'group' && (membership?.role === 'owner' || membership?.role === 'admin')) ||
    (chat.type === 'support' && canManageSupport(principal, chat));
  if (!allowed) throw new ForbiddenError('Only a group\'s owner or admins, support agents (support chats) or admins may freeze this chat.');
}

/**
 * SPEC §9: 403 `chat_frozen` for sends, edits and reactions in a frozen
 * chat, except for platform admins (who moderate it). Reads and read
 * markers still work.
 */
export function checkNotFrozen(principal: Principal, chat: Pick<ChatRecord, 'frozen'>): void {
  if (chat.frozen && !isAdmin(principal)) throw new ChatFrozenError();
}

/**
 * Support chat status changes are audited always; title/metadata changes
 * when made by platform role (support chats; groups the caller does not manage).
 */
async function auditUpdate(ctx: DomainContext, principal: Principal, chat: ChatRecord, membership: MembershipRecord | undefined, input: UpdateChatInput) {
  const target = { type: 'chat' as const, id: chat.id };
  const fields = (['title', 'metadata'] as const).filter((f) => input[f] !== undefined);
  await Promise.all([
    input.status !== undefined && input.status !== chat.status
      ? recordAudit(ctx, principal, AUDIT_ACTIONS.chatStatusChanged, target, { from: chat.status ?? null, to: input.status })
      : undefined,
    fields.length > 0 && !managesGroup(chat, membership) && (chat.type === 'support' || isAdmin(principal))
      ? recordAudit(ctx, principal, AUDIT_ACTIONS.chatUpdated, target, { fields: fields.join(',') })
      : undefined,
  ]);
}

/**
 * Emits `chat.updated` (one shared payload) to the participants and answers
 * the caller's view. `alsoTo` (a previous assignee: no longer a participant)
 * gets the event without `lastMessage`, and so does the caller's answer
 * unless they are a participant or an admin (`contentFor`): a support agent
 * changing a chat they are not assigned to never sees its content.
 */
export async function announceUpdate(
  ctx: DomainContext,
  chat: ChatRecord,
  membership: MembershipRecord | undefined,
  principal: Principal,
  alsoTo: string[] = [],
): Promise<ChatT> {
  const view = await chatWithParticipants(ctx, chat, membership);
  const shared = sharedView(view);
  const participants = new Set((view.participants ?? []).map((p) => p.userId));
  const outsiders = [...new Set(alsoTo)].filter((u) => !participants.has(u));
  await Promise.all([
    ctx.notifier.toUsers([...participants], { type: 'chat.updated', chat: shared }),
    outsiders.length > 0 ? ctx.notifier.toUsers(outsiders, { type: 'chat.updated', chat: withoutContent(shared) }) : undefined,
  ]);
  return contentFor(principal, view, membership);
}

/** `PUT /v1/chats/{id}/archive`: the caller's own flag; idempotent, not a toggle. Emits `membership.updated` to the caller's connections. */
export async function archiveChat(ctx: DomainContext, principal: Principal, chatId: string, archived: boolean): Promise<ChatT> {
  const { chat, membership } = await withSlot(ctx, principal.userId, 'writes', requireParticipant(ctx, principal, chatId));
  if (membership.archived !== archived && !(await ctx.repo.memberships.update(chatId, principal.userId, { archived }))) throw chatNotFound();
  await announceMembership(ctx, principal, chatId, { ...membership, archived });
  return chatWithParticipants(ctx, chat, { ...membership, archived });
}

/**
 * `POST /v1/chats/{id}/participants`: adds users to a group (`member`, or
 * `admin` when the owner or a platform admin asks). Users already in the
 * group are skipped. All or nothing (SPEC §6): an add that would pass the
 * group size adds nobody, checked before anything is written and again,
 * atomically, by the write (`MembershipStore.add`). Each person added takes
 * one `participants` rate-limit slot (SPEC §5: 100 a minute). Emits
 * `participants.added {chatId, userIds}` to every participant, the new ones
 * included. Errors: 400 not a group or over the size limit, 403 not an
 * owner/admin, 404 chat not visible or unknown users, 409 `banned` for a
 * user banned from the group (SPEC §9), 429 past the limit.
 */
export async function addParticipants(
  ctx: DomainContext,
  principal: Principal,
  chatId: string,
  input: { userIds: string[]; role?: 'member' | 'admin' },
): Promise<ChatT> {
  const { chat, membership } = await requireManager(ctx, principal, chatId);
  if (chat.type !== 'group') throw new BadRequestError('Participants can only be added to group chats.');
  if (!canManageGroup(principal, membership)) throw new ForbiddenError('Only the group\'s owner or admins may add participants.');
  const role: ParticipantRole = input.role ?? 'member';
  if (role === 'admin' && membership?.role !== 'owner' && !isAdmin(principal)) throw new ForbiddenError('Only the owner may add group admins.');

  const ids = [...new Set(input.userIds)];
  const [known, current, bans] = await Promise.all([ctx.repo.users.getMany(ids), ctx.repo.memberships.getMany(chatId, ids), ctx.repo.chatBans.getMany(chatId, ids)]);
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new NotFoundError(`Unknown user${unknown.length > 1 ? 's' : ''}: ${unknown.slice(0, 10).join(', ')}.`);
  // SPEC §9: a user banned from the group stays out until unbanned or the ban expires.
  const banned = bans.filter((b) => isActiveBan(b, ctx.now()));
  if (banned.length > 0) throw new BannedError(`Banned from this group: ${banned.slice(0, 10).map((b) => b.userId).join(', ')}.`, 409);
  const existing = new Set(current.map((m) => m.userId));
  const fresh = ids.filter((id) => !existing.has(id));

  if (fresh.length > 0) {
    const full = () => new BadRequestError(`A group chat has at most ${ctx.limits.maxGroupSize} participants; this would make ${chat.participantCount + fresh.length}.`);
    if (chat.participantCount + fresh.length > ctx.limits.maxGroupSize) throw full();
    await takeSlot(ctx, principal.userId, 'participants', fresh.length);
    const joinedAt = ctx.now().toISOString();
    const members = fresh.map((userId): MembershipRecord => ({ chatId, userId, chatType: chat.type, role, joinedAt, lastReadSeq: 0, archived: false }));
    const result = await ctx.repo.memberships.add(chatId, members, ctx.limits.maxGroupSize);
    if (result === 'full') throw full();
    if (result === 'conflict') throw new ConflictError('Participants changed meanwhile; retry.');
    if (result === 'missing') throw chatNotFound();
    const grown = { ...chat, participantCount: chat.participantCount + fresh.length };
    await ctx.notifier.toChat(grown, { type: 'participants.added', chatId, userIds: fresh, at: joinedAt });
    if (!managesGroup(chat, membership)) await recordAudit(ctx, principal, AUDIT_ACTIONS.participantsAdded, { type: 'chat', id: chatId }, { count: fresh.length, userIds: fresh.slice(0, 20).join(',') });
    const view = await chatWithParticipants(ctx, grown, membership);
    // SPEC §7: the people added get the chat itself, enough to show it (live and in sync), as a new member sees it.
    const joinerView = { ...sharedView(view), unreadCount: grown.lastSeq, unreadMentions: 0, lastReadSeq: 0, archived: false, notificationLevel: 'all' as const };
    await ctx.notifier.toUsers(fresh, { type: 'chat.created', chat: joinerView, at: joinedAt });
    return view;
  }
  return chatWithParticipants(ctx, { ...chat, participantCount: chat.participantCount + fresh.length }, membership);
}

/** SPEC §9: a group ban holds until it is removed or its `expiresAt` passes. */
export const isActiveBan = (ban: Pick<ChatBanRecord, 'expiresAt'>, now: Date) => !ban.expiresAt || Date.parse(ban.expiresAt) > now.getTime();

/**
 * `DELETE /v1/chats/{id}/participants/{userId}`: removal by the owner, a
 * group admin (members only) or a platform admin, or leaving (self). The
 * removed user loses access at once (the membership is gone, and every
 * route checks it). When the owner leaves, the longest-standing admin, else
 * member, becomes owner. `participant.removed` reaches the remaining
 * participants and the removed user.
 */
export async function removeParticipant(ctx: DomainContext, principal: Principal, chatId: string, userId: string): Promise<void> {
  const { chat, membership } = await withSlot(ctx, principal.userId, 'writes', requireManager(ctx, principal, chatId));
  if (chat.type !== 'group') throw new BadRequestError('Participants can only be removed from group chats.');
  const self = userId === principal.userId;
  // The delete is conditioned on the role read, so whoever removes an owner knows it (an heir leaving while
  // promoted is retried as the owner it now is, and hands over in turn): issue 13 item 10.
  let target: MembershipRecord | undefined = self ? membership : undefined;
  for (let attempt = 0; ; attempt++) {
    if (!target) [target] = await ctx.repo.memberships.getMany(chatId, [userId]);
    if (!target) throw new NotFoundError('That user is not a participant of this chat.');
    if (!self) {
      const allowed =
        isAdmin(principal) || membership?.role === 'owner' || (membership?.role === 'admin' && target.role === 'member');
      if (!allowed) throw new ForbiddenError('You may not remove this participant.');
    }
    if (await ctx.repo.memberships.remove(chatId, userId, target.role)) break;
    if (attempt >= MAX_ROLE_RACE_RETRIES) throw new ConflictError('Participants changed meanwhile; retry.');
    target = undefined;
  }
  if (target.role === 'owner') await handOverOwnership(ctx, chatId, userId);
  const audience = (await ctx.repo.memberships.listParticipants(chatId)).map((p) => p.userId);
  await Promise.all([
    ctx.notifier.toUsers([...new Set([...audience, userId])], { type: 'participant.removed', chatId, userId }),
    !self && !managesGroup(chat, membership) ? recordAudit(ctx, principal, AUDIT_ACTIONS.participantRemoved, { type: 'chat', id: chatId }, { userId }) : undefined,
  ]);
}

/** Re-reads of a membership whose role changed under a removal before it answers 409. */
const MAX_ROLE_RACE_RETRIES = 3;
/** Heirs tried in one handover; each failure means that heir left meanwhile. */
const MAX_HEIRS = 20;

/**
 * Makes the longest-standing admin, else member, the owner after the owner
 * left. The promotion is conditioned on the heir's membership existing, so
 * an heir who left meanwhile is skipped for the next one; an heir who leaves
 * after being promoted removes an owner and hands over again (see
 * `removeParticipant`). Stops if someone else is owner already.
 */
async function handOverOwnership(ctx: DomainContext, chatId: string, leaving: string): Promise<void> {
  const rank = (role: ParticipantRole) => (role === 'admin' ? 0 : 1);
  for (let attempt = 0; attempt < MAX_HEIRS; attempt++) {
    const rest = (await ctx.repo.memberships.listParticipants(chatId)).filter((p) => p.userId !== leaving);
    if (rest.some((p) => p.role === 'owner')) return;
    const heir = rest.sort((a, b) => rank(a.role) - rank(b.role) || a.joinedAt.localeCompare(b.joinedAt) || a.userId.localeCompare(b.userId))[0];
    if (!heir) return;
    if (await ctx.repo.memberships.update(chatId, heir.userId, { role: 'owner' })) return;
  }
  throw new ConflictError('Participants kept changing while ownership was handed over; retry.');
}
