/**
 * Chat rules (SPEC §3, §4): creating direct and group chats, listing the
 * caller's chats by latest activity, reading one chat, and who may see what.
 */
import { BadRequestError, chatNotFound, ConflictError, NotFoundError } from './errors';
import type { ChatT } from '../schemas';
import type { DomainContext } from './context';
import type { ChatUniqueness } from './ports';
import type { ChatRecord, ChatType, MembershipRecord, ParticipantRole, Principal } from './types';
import { chatView, isOnline, unreadCount } from './views';

export const isAdmin = (p: Principal) => p.roles.includes('admin');

/**
 * The chat and the caller's membership, for operations only participants may
 * do. A chat that does not exist and a chat the caller is not in both answer
 * the same 404 (SPEC §3: no existence leak).
 */
export async function requireParticipant(ctx: DomainContext, principal: Principal, chatId: string) {
  const { chat, membership } = await ctx.repo.chats.getWithMembership(chatId, principal.userId);
  if (!chat || !membership) throw chatNotFound();
  return { chat, membership };
}

/** Like `requireParticipant`, but platform admins may read any chat (SPEC §4 "participant, admin"). */
export async function requireReader(ctx: DomainContext, principal: Principal, chatId: string) {
  const { chat, membership } = await ctx.repo.chats.getWithMembership(chatId, principal.userId);
  if (!chat || (!membership && !isAdmin(principal))) throw chatNotFound();
  return { chat, membership };
}

export interface CreateChatInput {
  type: 'direct' | 'group';
  participantIds: string[];
  title?: string;
  context?: { type: string; id: string };
  metadata?: Record<string, unknown>;
}

/**
 * Creates a chat; the caller is added (owner of a group).
 *
 * - direct: exactly one other user; idempotent per pair (`created: false`
 *   with the existing chat, which the HTTP layer answers with 200).
 * - `context`: idempotent per (context.type, context.id), separate from the
 *   plain direct chat of the same pair.
 * - group: up to `limits.maxGroupSize` participants including the caller.
 *
 * Uniqueness is enforced by a conditional transaction, not check-then-write,
 * so concurrent creates of the same pair or context yield one chat.
 * Errors: 400 for a bad participant list, 404 for unknown user ids, 409 when
 * the context already has a chat the caller is not in.
 */
export async function createChat(ctx: DomainContext, principal: Principal, input: CreateChatInput): Promise<{ chat: ChatT; created: boolean }> {
  const others = [...new Set(input.participantIds)].filter((id) => id !== principal.userId);
  if (input.type === 'direct') {
    if (others.length !== 1) throw new BadRequestError('A direct chat has exactly one other participant.');
    if (input.title !== undefined) throw new BadRequestError('A direct chat has no title.');
  } else {
    if (others.length < 1) throw new BadRequestError('A group chat needs at least one other participant.');
    if (others.length + 1 > ctx.limits.maxGroupSize) {
      throw new BadRequestError(`A group chat has at most ${ctx.limits.maxGroupSize} participants.`);
    }
  }

  const known = await ctx.repo.users.getMany(others);
  const unknown = others.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new NotFoundError(`Unknown user${unknown.length > 1 ? 's' : ''}: ${unknown.slice(0, 10).join(', ')}.`);

  const now = ctx.now().toISOString();
  const chat: ChatRecord = {
    id: ctx.newId(),
    type: input.type,
    title: input.title,
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

  const unique: ChatUniqueness | undefined = input.context
    ? { kind: 'context', type: input.context.type, id: input.context.id }
    : input.type === 'direct'
      ? { kind: 'direct', userIds: [principal.userId, others[0]] }
      : undefined;

  const result = await ctx.repo.chats.create(chat, members, unique);
  if (!result.created) {
    // Someone (maybe this caller, retrying) created it first: answer that chat
    // if the caller is in it; a context owned by other people stays invisible.
    const existing = await ctx.repo.chats.getWithMembership(result.chatId, principal.userId);
    if (!existing.chat || !existing.membership) {
      throw new ConflictError('This context already has a chat, and you are not one of its participants.');
    }
    return { chat: await chatWithParticipants(ctx, existing.chat, existing.membership), created: false };
  }

  const view = await chatWithParticipants(ctx, chat, members[0]);
  // A new chat is unread-free and unarchived for everyone, so the per-user fields are exact here.
  // The creator gets it too, so their other devices list the chat (SPEC §6: the actor included).
  await ctx.notifier.toUsers([principal.userId, ...others], { type: 'chat.created', chat: { ...sharedView(view), unreadCount: 0, lastReadSeq: 0, archived: false } });
  return { chat: view, created: true };
}

/**
 * A chat as every participant may see it in an event: the caller-specific
 * fields (`unreadCount`, `lastReadSeq`, `archived`) are dropped, since one
 * payload goes to everyone.
 */
export function sharedView(chat: ChatT): Omit<ChatT, 'unreadCount' | 'lastReadSeq' | 'archived'> {
  const { unreadCount: _u, lastReadSeq: _l, archived: _a, ...shared } = chat;
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

interface Cursor {
  /** `lastActivityAt` of the last chat on the previous page. */
  a: string;
  /** Its id (tie-breaker). */
  i: string;
}

const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

function decodeCursor(raw: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.a === 'string' && typeof c.i === 'string') return c;
  } catch {
    // fall through
  }
  throw new BadRequestError('Invalid cursor.');
}

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
  const rows = await loadChats(ctx, principal.userId, { archived: input.archived ?? false, type: input.type, status: input.status });
  let start = 0;
  if (input.cursor) {
    const cursor = decodeCursor(input.cursor);
    const pivot = { lastActivityAt: cursor.a, id: cursor.i } as ChatRecord;
    start = rows.findIndex((r) => byActivity(pivot, r.chat) < 0);
    if (start === -1) start = rows.length;
  }
  const pageRows = rows.slice(start, start + input.limit);
  const last = pageRows.at(-1);
  const hasMore = start + input.limit < rows.length;
  return {
    chats: pageRows.map((r) => chatView(r.chat, r.membership)),
    nextCursor: hasMore && last ? encodeCursor({ a: last.chat.lastActivityAt, i: last.chat.id }) : null,
  };
}

/** `GET /v1/stats`: over the caller's non-archived chats. */
export async function getStats(ctx: DomainContext, principal: Principal) {
  const rows = await loadChats(ctx, principal.userId, { archived: false });
  let unreadChats = 0;
  let unreadMessages = 0;
  for (const { chat, membership } of rows) {
    const unread = unreadCount(chat, membership);
    if (unread > 0) unreadChats++;
    unreadMessages += unread;
  }
  return { chats: rows.length, unreadChats, unreadMessages };
}

async function loadChats(
  ctx: DomainContext,
  userId: string,
  filter: { archived: boolean; type?: ChatType; status?: ChatRecord['status'] },
) {
  const memberships = (await ctx.repo.memberships.listByUser(userId)).filter(
    (m) => m.archived === filter.archived && (!filter.type || m.chatType === filter.type),
  );
  if (memberships.length === 0) return [];
  const byChat = new Map(memberships.map((m) => [m.chatId, m]));
  const chats = await ctx.repo.chats.getMany([...byChat.keys()]);
  return chats
    .filter((c) => !filter.status || c.status === filter.status)
    .sort(byActivity)
    .map((chat) => ({ chat, membership: byChat.get(chat.id)! }));
}
