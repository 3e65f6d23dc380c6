/**
 * Chat rules (SPEC §3, §4): creating direct and group chats, listing the
 * caller's chats by latest activity, reading one chat, and who may see what.
 */
import { displayText } from './text';
import * as z from 'zod';
import type { CursorScope } from './cursors';
import { BadRequestError, BlockedError, chatNotFound, ConflictError, NotFoundError } from './errors';
import { blockedBetween } from './blocks';
import type { ChatT } from '../schemas';
import type { DomainContext } from './context';
import { takeSlot } from './limits';
import type { ChatUniqueness } from './ports';
import type { ChatRecord, ChatType, MembershipRecord, ParticipantRole, Principal } from './types';
import { chatView, isOnline, unreadCount, unreadMentions, withoutContent } from './views';

export const isAdmin = (p: Principal) => p.roles.includes('admin');

/**
 * A membership as it counts for access. An `agent` membership (a support
 * chat's assignee) counts only while the caller's token has the `support`
 * role (SPEC §2: roles are the token's): an agent demoted in the identity
 * provider loses the chats assigned to them at once, on every route and
 * over WebSocket, even before anyone reassigns them.
 */
export function effectiveMembership<M extends MembershipRecord | undefined>(principal: Principal, membership: M): M | undefined {
  if (membership?.role === 'agent' && !principal.roles.includes('support')) return undefined;
  return membership;
}

/**
 * A chat view fit for this caller: without `lastMessage` (message content)
 * unless the caller is a participant (with an effective membership) or a
 * platform admin. Support agents manage every support chat (queue, status)
 * but read only those they are assigned to (SPEC §4).
 */
export function contentFor<C extends { lastMessage?: unknown }>(principal: Principal, view: C, membership: MembershipRecord | undefined): C {
  return isAdmin(principal) || effectiveMembership(principal, membership) ? view : withoutContent(view);
}

/**
 * The chat and the caller's membership, for operations only participants may
 * do. A chat that does not exist and a chat the caller is not in both answer
 * the same 404 (SPEC §3: no existence leak).
 */
export async function requireParticipant(ctx: DomainContext, principal: Principal, chatId: string) {
  const { chat, membership } = await ctx.repo.chats.getWithMembership(chatId, principal.userId);
  const effective = effectiveMembership(principal, membership);
  if (!chat || !effective) throw chatNotFound();
  return { chat, membership: effective };
}

/** Like `requireParticipant`, but platform admins may read any chat (SPEC §4 "participant, admin"). */
export async function requireReader(ctx: DomainContext, principal: Principal, chatId: string) {
  const { chat, membership } = await ctx.repo.chats.getWithMembership(chatId, principal.userId);
  const effective = effectiveMembership(principal, membership);
  if (!chat || (!effective && !isAdmin(principal))) throw chatNotFound();
  return { chat, membership: effective };
}

export interface CreateChatInput {
  type: 'direct' | 'group';
  participantIds: string[];
  title?: string;
  context?: { type: string; id: string };
  metadata?: Record<string, unknown>;
}

/**
 * What makes a creation idempotent (SPEC §4), or undefined for a plain group:
 * a direct chat is one per pair; a chat with a `context` is one per
 * (context.type, context.id, the set of people: the caller and the
 * participants) and chat type. The same context with other people is
 * another chat, so guessing a context id (an order or appointment number)
 * never leads into someone else's conversation. (`data/keys.ts` turns it
 * into the uniqueness item's key.)
 */
export function creationUniqueness(type: 'direct' | 'group', people: readonly string[], context?: { type: string; id: string }): ChatUniqueness | undefined {
  const sorted = [...new Set(people)].sort();
  if (context) return { kind: 'context', chatType: type, type: context.type, id: context.id, people: sorted };
  return type === 'direct' ? { kind: 'direct', userIds: [sorted[0]!, sorted[1]!] } : undefined;
}

/**
 * Creates a chat; the caller is added (owner of a group).
 *
 * - direct: exactly one other user; idempotent per pair (`created: false`
 *   with the existing chat, which the HTTP layer answers with 200).
 * - `context`: idempotent per (context.type, context.id, the set of people:
 *   the caller and `participantIds`), separate from the plain direct chat of
 *   the same pair (`creationUniqueness`).
 * - group: up to `limits.maxGroupSize` participants including the caller.
 *
 * An idempotent create first reads the uniqueness item (in the same round
 * trip as the participants' directory entries), so answering an existing
 * chat costs no write and no rate-limit slot. A creation takes a `chats`
 * slot first (SPEC §5: 10 a minute; 429 past it), then writes with a
 * conditional transaction, so concurrent creates of the same pair or
 * context still yield one chat.
 * Errors: 400 for a bad participant list, 404 for unknown user ids, 403
 * `blocked` for a direct chat while either user blocks the other, 409 when
 * the caller has left the existing context chat, 429 past the creation limit.
 */
export async function createChat(ctx: DomainContext, principal: Principal, input: CreateChatInput): Promise<{ chat: ChatT; created: boolean }> {
  const others = [...new Set(input.participantIds)].filter((id) => id !== principal.userId);
  // Bidi controls and zero-width characters are stripped; a title of nothing visible is 400 (issue 13 item 13).
  const title = input.title === undefined ? undefined : displayText(input.title, 'title');
  if (input.type === 'direct') {
    if (others.length !== 1) throw new BadRequestError('A direct chat has exactly one other participant.');
    if (input.title !== undefined) throw new BadRequestError('A direct chat has no title.');
  } else {
    if (others.length < 1) throw new BadRequestError('A group chat needs at least one other participant.');
    if (others.length + 1 > ctx.limits.maxGroupSize) {
      throw new BadRequestError(`A group chat has at most ${ctx.limits.maxGroupSize} participants.`);
    }
  }

  const unique = creationUniqueness(input.type, [principal.userId, ...others], input.context);
  const [known, existingId, moderation] = await Promise.all([
    ctx.repo.users.getMany(others),
    unique ? ctx.repo.chats.findUnique(unique) : Promise.resolve(undefined),
    // SPEC §9: no direct chat while either blocks the other (one GetItem, in the same round trip).
    input.type === 'direct' ? ctx.repo.moderation.state(principal.userId, true) : Promise.resolve(undefined),
  ]);
  const unknown = others.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new NotFoundError(`Unknown user${unknown.length > 1 ? 's' : ''}: ${unknown.slice(0, 10).join(', ')}.`);
  if (moderation && blockedBetween(moderation, others[0])) throw new BlockedError();
  if (existingId) return { chat: await existingChat(ctx, principal, existingId), created: false };
  await takeSlot(ctx, principal.userId, 'chats');

  const now = ctx.now().toISOString();
  const chat: ChatRecord = {
    id: ctx.newId(),
    type: input.type,
    title,
    context: input.context,
    createdBy: principal.userId,
    createdAt: now,
    updatedAt: now,
    lastSeq: 0,
    lastActivityAt: now,
    metadata: input.metadata,
    participantCount: others.length + 1,
    participantIds: input.type === 'direct' ? [principal.userId, others[0]] : undefined,
  };
  const member = (userId: string, role: ParticipantRole): MembershipRecord => ({
    chatId: chat.id,
    userId,
    chatType: chat.type,
    role,
    joinedAt: now,
    lastReadSeq: 0,
    archived: false,
  });
  const members = [
    member(principal.userId, input.type === 'group' ? 'owner' : 'member'),
    ...others.map((id) => member(id, 'member')),
  ];

  const result = await ctx.repo.chats.create(chat, members, unique);
  // Someone (maybe this caller, retrying) created it a moment ago.
  if (!result.created) return { chat: await existingChat(ctx, principal, result.chatId), created: false };

  const view = await chatWithParticipants(ctx, chat, members[0]);
  // A new chat is unread-free and unarchived for everyone, so the per-user fields are exact here.
  // The creator gets it too, so their other devices list the chat (SPEC §6: the actor included).
  await ctx.notifier.toUsers([principal.userId, ...others], { type: 'chat.created', chat: { ...sharedView(view), unreadCount: 0, unreadMentions: 0, lastReadSeq: 0, archived: false, notificationLevel: 'all' } });
  return { chat: view, created: true };
}

/**
 * The chat an idempotent create found, as the caller sees it. The caller was
 * among its people when it was created (the key says so), but may have left
 * a group since: then 409, and leaving stays final.
 */
async function existingChat(ctx: DomainContext, principal: Principal, chatId: string): Promise<ChatT> {
  const existing = await ctx.repo.chats.getWithMembership(chatId, principal.userId);
  if (!existing.chat || !existing.membership) throw new ConflictError('This chat already exists, and you are no longer one of its participants.');
  return chatWithParticipants(ctx, existing.chat, existing.membership);
}

/**
 * A chat as every participant may see it in an event: the caller-specific
 * fields (`unreadCount`, `lastReadSeq`, `archived`) are dropped, since one
 * payload goes to everyone.
 */
export function sharedView(chat: ChatT): Omit<ChatT, 'unreadCount' | 'unreadMentions' | 'lastReadSeq' | 'archived' | 'notificationLevel'> {
  const { unreadCount: _u, unreadMentions: _m, lastReadSeq: _l, archived: _a, notificationLevel: _n, ...shared } = chat;
  return shared;
}

/** One chat with its participants (names from the directory, `online` from presence). */
export async function getChat(ctx: DomainContext, principal: Principal, chatId: string): Promise<ChatT> {
  const { chat, membership } = await requireReader(ctx, principal, chatId);
  return chatWithParticipants(ctx, chat, membership);
}

export async function chatWithParticipants(ctx: DomainContext, chat: ChatRecord, membership?: MembershipRecord): Promise<ChatT> {
  const participants = await ctx.repo.memberships.listParticipants(chat.id);
  // GSI1 is eventually consistent: a chat created a moment ago must still list the caller.
  if (membership && !participants.some((p) => p.userId === membership.userId)) {
    participants.push({ userId: membership.userId, role: membership.role, joinedAt: membership.joinedAt });
  }
  const ids = participants.map((p) => p.userId);
  const [users, presence] = await Promise.all([ctx.repo.users.getMany(ids), ctx.repo.connections.getPresence(ids)]);
  const nowSeconds = Math.floor(ctx.now().getTime() / 1000);
  return chatView(
    chat,
    membership,
    participants
      .sort((a, b) => a.joinedAt.localeCompare(b.joinedAt) || a.userId.localeCompare(b.userId))
      .map((p) => ({
        userId: p.userId,
        name: users.get(p.userId)?.name ?? p.userId,
        role: p.role,
        joinedAt: p.joinedAt,
        online: isOnline(presence.get(p.userId), nowSeconds),
      })),
  );
}

export interface ListChatsInput {
  type?: ChatType;
  status?: ChatRecord['status'];
  archived?: boolean;
  limit: number;
  cursor?: string;
}

/** A chats-list cursor: the (lastActivityAt, id) of the last chat on the previous page. */
const ChatsCursor = z.object({ a: z.string().max(64), i: z.string().min(1).max(128) });

/** Chats-list cursors belong to the caller and to the filters of the first request. */
const chatsScope = (principal: Principal, input: ListChatsInput): CursorScope => ({
  kind: 'chats',
  caller: principal.userId,
  filter: { type: input.type, status: input.status, archived: input.archived ?? false },
});

/** Latest activity first; ties by id, descending. */
const byActivity = (x: ChatRecord, y: ChatRecord) => y.lastActivityAt.localeCompare(x.lastActivityAt) || y.id.localeCompare(x.id);

/**
 * The caller's chats ordered by latest activity (SPEC §4 `GET /v1/chats`).
 *
 * Memberships come from one Query of the caller's partition; the chats from
 * BatchGetItem (⌈C/100⌉ requests for C chats). Sending a message writes only
 * the chat item, never one item per participant, so the order is computed
 * here rather than stored per user. The cursor is the (activity, id) of the
 * last chat returned, so pages stay stable while chats move.
 */
export async function listChats(ctx: DomainContext, principal: Principal, input: ListChatsInput) {
  const rows = await loadChats(ctx, principal, { archived: input.archived ?? false, type: input.type, status: input.status });
  let start = 0;
  if (input.cursor) {
    const cursor = ctx.cursors.open(chatsScope(principal, input), input.cursor, ChatsCursor);
    const pivot = { lastActivityAt: cursor.a, id: cursor.i } as ChatRecord;
    start = rows.findIndex((r) => byActivity(pivot, r.chat) < 0);
    if (start === -1) start = rows.length;
  }
  const pageRows = rows.slice(start, start + input.limit);
  const last = pageRows.at(-1);
  const hasMore = start + input.limit < rows.length;
  return {
    chats: pageRows.map((r) => chatView(r.chat, r.membership)),
    nextCursor: hasMore && last ? ctx.cursors.seal(chatsScope(principal, input), { a: last.chat.lastActivityAt, i: last.chat.id }) : null,
  };
}

/** `GET /v1/stats`: over the caller's non-archived chats. */
export async function getStats(ctx: DomainContext, principal: Principal) {
  const rows = await loadChats(ctx, principal, { archived: false });
  let unreadChats = 0;
  let unreadMessages = 0;
  let mentions = 0;
  for (const { chat, membership } of rows) {
    const unread = unreadCount(chat, membership);
    if (unread > 0) unreadChats++;
    unreadMessages += unread;
    mentions += unreadMentions(membership);
  }
  return { chats: rows.length, unreadChats, unreadMessages, unreadMentions: mentions };
}

/** The caller's chats with their memberships; agent memberships only while the token has the `support` role. */
async function loadChats(
  ctx: DomainContext,
  principal: Principal,
  filter: { archived: boolean; type?: ChatType; status?: ChatRecord['status'] },
) {
  const memberships = (await ctx.repo.memberships.listByUser(principal.userId)).filter(
    (m) => m.archived === filter.archived && (!filter.type || m.chatType === filter.type) && effectiveMembership(principal, m),
  );
  if (memberships.length === 0) return [];
  const byChat = new Map(memberships.map((m) => [m.chatId, m]));
  const chats = await ctx.repo.chats.getMany([...byChat.keys()]);
  return chats
    .filter((c) => !filter.status || c.status === filter.status)
    .sort(byActivity)
    .map((chat) => ({ chat, membership: byChat.get(chat.id)! }));
}
