/**
 * The support desk (SPEC §3-§4; the farmer support-desk seed): a user's one
 * open support chat, assignment to the least-loaded agent, claiming and
 * reassigning, the queue, and desk statistics.
 */
import { AUDIT_ACTIONS, recordAudit } from './audit';
import * as z from 'zod';
import type { CursorScope } from './cursors';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from './errors';
import type { ChatT } from '../schemas';
import { chatWithParticipants, contentFor, effectiveMembership, isAdmin, requireParticipant, sharedView } from './chats';
import type { DomainContext } from './context';
import type { ChatUniqueness } from './ports';
import { announceUpdate, isSupportAgent, requireManager } from './groups';
import { takeSlot, withSlot } from './limits';
import { checkContent, sendMessage } from './messages';
import { isDirectoryAgent } from './users';
import { displayText, isBlank } from './text';
import type { ChatRecord, MembershipRecord, Principal, SupportStatus } from './types';
import { chatView } from './views';

/**
 * What a queue cursor may hold: the store's opaque position, on DynamoDB a
 * key of an index (at most 4 string attributes: PK, SK and the index's keys).
 */
const IndexKey = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,15}$/), z.string().min(1).max(512))
  .refine((key) => Object.keys(key).length >= 1 && Object.keys(key).length <= 4);

const requesterKey = (userId: string): ChatUniqueness => ({ kind: 'support', requesterId: userId });

/**
 * The support agent with the fewest support chats that are not closed;
 * ties go to the lowest id, so assignment is predictable. Undefined when the
 * directory has no agent (other than `exclude`). Costs one query for the
 * agents plus one COUNT query per agent.
 */
export async function leastLoadedAgent(ctx: DomainContext, exclude?: string): Promise<string | undefined> {
  const agents = (await ctx.repo.support.agents(ctx.now())).filter((id) => id !== exclude).sort();
  const loads = await Promise.all(agents.map(async (id) => ({ id, open: await ctx.repo.support.openCountForAgent(id) })));
  return loads.sort((a, b) => a.open - b.open || a.id.localeCompare(b.id))[0]?.id;
}

/**
 * `POST /v1/chats/support`: the caller's support chat that is not closed
 * (`created: false`, answered 200), or a new one (201) assigned to the
 * least-loaded agent, unassigned when there is none. The uniqueness item
 * `support#<requester>` makes concurrent requests yield one chat; closing
 * the chat frees it. `subject` becomes the title. `initialMessage` is sent
 * only with a new chat, so a retried request never sends it twice.
 * `chat.created` reaches the agent and the requester's connections.
 *
 * A request that fails creates nothing (SPEC §6): `initialMessage` is
 * checked (length) and its `messages` rate-limit slot taken, with the
 * `chats` slot of the creation, before the chat is written; over a limit
 * the answer is 429 and no chat exists. An existing open chat is answered
 * without taking any slot.
 */
export async function openSupportChat(
  ctx: DomainContext,
  principal: Principal,
  input: { subject?: string; initialMessage?: string },
): Promise<{ chat: ChatT; created: boolean }> {
  // An initial message that shows nothing (whitespace, zero-width characters) is no message (issue 13 item 13).
  const initialMessage = input.initialMessage !== undefined && !isBlank(input.initialMessage) ? input.initialMessage : undefined;
  const subject = input.subject === undefined ? undefined : displayText(input.subject, 'subject');
  if (initialMessage !== undefined) checkContent(ctx, initialMessage);
  const key = requesterKey(principal.userId);
  const open = await ctx.repo.chats.findUnique(key);
  if (open) return { chat: await currentChat(ctx, principal, open), created: false };
  const slots = await Promise.allSettled([
    takeSlot(ctx, principal.userId, 'chats'),
    initialMessage !== undefined ? takeSlot(ctx, principal.userId, 'messages') : Promise.resolve(),
  ]);
  const refused = slots.find((r) => r.status === 'rejected');
  if (refused) throw refused.reason;

  const agentId = await leastLoadedAgent(ctx, principal.userId);
  const now = ctx.now().toISOString();
  const chat: ChatRecord = {
    id: ctx.newId(),
    type: 'support',
    title: subject,
    status: 'open',
    assigneeId: agentId ?? null,
    requesterId: principal.userId,
    createdBy: principal.userId,
    createdAt: now,
    updatedAt: now,
    lastSeq: 0,
    lastActivityAt: now,
    participantCount: agentId ? 2 : 1,
    participantIds: agentId ? [principal.userId, agentId] : [principal.userId],
  };
  const member = (userId: string, role: MembershipRecord['role']): MembershipRecord => ({
    chatId: chat.id,
    userId,
    chatType: 'support',
    role,
    joinedAt: now,
    lastReadSeq: 0,
    archived: false,
  });
  const members = [member(principal.userId, 'member'), ...(agentId ? [member(agentId, 'agent')] : [])];
  const result = await ctx.repo.chats.create(chat, members, key);
  if (!result.created) return { chat: await currentChat(ctx, principal, result.chatId), created: false };

  const view = await chatWithParticipants(ctx, chat, members[0]);
  // The requester's other devices and the assigned agent (SPEC §6: the actor included).
  await ctx.notifier.toUsers(agentId ? [principal.userId, agentId] : [principal.userId], { type: 'chat.created', chat: { ...sharedView(view), unreadCount: 0, unreadMentions: 0, lastReadSeq: 0, archived: false, notificationLevel: 'all' } });
  if (initialMessage !== undefined) {
    // Its rate-limit slot is already taken (above), so this send cannot be refused for it.
    await sendMessage(ctx, principal, chat.id, { content: initialMessage }, { slotTaken: true });
    return { chat: await currentChat(ctx, principal, chat.id), created: true };
  }
  return { chat: view, created: true };
}

async function currentChat(ctx: DomainContext, principal: Principal, chatId: string): Promise<ChatT> {
  const { chat, membership } = await requireParticipant(ctx, principal, chatId);
  return chatWithParticipants(ctx, chat, membership);
}

/**
 * `PUT /v1/chats/{id}/assignee {agentId}`: an admin assigns or reassigns; a
 * support agent may claim an unassigned chat for themselves. The new
 * assignee joins as `agent`; a previous assignee leaves the chat. Emits
 * `chat.updated` to the participants and the previous assignee.
 * Errors: 400 not a support chat or the target is not a support agent,
 * 403 not allowed, 404 not visible, 409 someone else claimed it first.
 */
export async function assignChat(ctx: DomainContext, principal: Principal, chatId: string, agentId: string): Promise<ChatT> {
  const { chat, membership } = await withSlot(ctx, principal.userId, 'writes', requireManager(ctx, principal, chatId));
  if (chat.type !== 'support') throw new BadRequestError('Only support chats have an assignee.');
  if (!isAdmin(principal)) {
    if (!isSupportAgent(principal) || agentId !== principal.userId) throw new ForbiddenError('Only admins assign chats; agents may claim unassigned chats for themselves.');
    if (chat.assigneeId) throw new ConflictError('This chat is already assigned.');
  }
  if (chat.status === 'closed') throw new ConflictError('A closed support chat cannot be reassigned.');
  const agent = await ctx.repo.users.get(agentId);
  if (!agent) throw new NotFoundError('Unknown user.');
  // The directory's role, unless it lapsed (the agent was not seen with it for `directoryRoleSeconds`).
  if (!isDirectoryAgent(agent, ctx.now())) throw new BadRequestError('The assignee must be a support agent.');
  if (agentId === chat.requesterId) throw new BadRequestError('The requester cannot be the assignee.');
  if (chat.assigneeId === agentId) return chatWithParticipants(ctx, chat, membership);

  const previous = chat.assigneeId ?? undefined;
  const participantIds = [chat.requesterId!, agentId];
  const updated = await ctx.repo.chats.update(
    chat,
    { assigneeId: agentId, participantIds, updatedAt: ctx.now().toISOString() },
    { expect: { assigneeId: chat.assigneeId ?? null } },
  );
  if (!updated) throw new ConflictError('The assignee changed meanwhile; read the chat again.');
  // The agent counts toward participantCount; support chats are far below the group limit.
  const joined: MembershipRecord = { chatId, userId: agentId, chatType: 'support', role: 'agent', joinedAt: ctx.now().toISOString(), lastReadSeq: 0, archived: false };
  await ctx.repo.memberships.add(chatId, [joined], Number.MAX_SAFE_INTEGER);
  if (previous) await ctx.repo.memberships.remove(chatId, previous);
  await recordAudit(ctx, principal, AUDIT_ACTIONS.chatAssigned, { type: 'chat', id: chatId }, { assigneeId: agentId, previousAssigneeId: previous ?? null });
  // An agent claiming the chat is its participant from now on; an admin assigning someone else keeps their own view.
  const callerMembership = principal.userId === agentId ? joined : previous === principal.userId ? undefined : membership;
  return announceUpdate(ctx, updated, callerMembership, principal, previous ? [previous] : []);
}

export interface QueueInput {
  status?: SupportStatus;
  assigneeId?: string;
  unassigned?: boolean;
  limit: number;
  cursor?: string;
}

/**
 * `GET /v1/support/chats` (support agents, admins): support chats by status
 * (closed, open, resolved, waiting) and, within a status, oldest first.
 * `assigneeId` or `unassigned=true` narrow it to one agent's or nobody's
 * chats. One index Query per page plus one BatchGetItem for the chats.
 * A support agent sees `lastMessage` only of the chats they are a
 * participant of (assigned to); admins see it everywhere (SPEC §4).
 */
export async function supportQueue(ctx: DomainContext, principal: Principal, input: QueueInput) {
  if (input.assigneeId !== undefined && input.unassigned) throw new BadRequestError('Use either assigneeId or unassigned=true.');
  // The key selects a position in one index (GSI1 or GSI2): the cursor is bound to the caller and to the filters that pick it.
  const scope: CursorScope = {
    kind: 'support-queue',
    caller: principal.userId,
    filter: { status: input.status, assigneeId: input.assigneeId, unassigned: input.unassigned || undefined },
  };
  const start = input.cursor ? ctx.cursors.open(scope, input.cursor, IndexKey) : undefined;
  const page = await ctx.repo.support.queuePage({
    status: input.status,
    assigneeId: input.unassigned ? null : input.assigneeId,
    limit: input.limit,
    start,
  });
  const chats = new Map((await ctx.repo.chats.getMany(page.chatIds)).map((c) => [c.id, c]));
  const mine = new Map(
    (await ctx.repo.memberships.listByUser(principal.userId))
      .map((m) => effectiveMembership(principal, m))
      .filter((m) => m !== undefined && chats.has(m.chatId))
      .map((m) => [m!.chatId, m!]),
  );
  return {
    // An agent reads the content (`lastMessage`) only of the chats they are in (their assignments, their own requests).
    chats: page.chatIds.filter((id) => chats.has(id)).map((id) => contentFor(principal, chatView(chats.get(id)!, mine.get(id)), mine.get(id))),
    nextCursor: page.next ? ctx.cursors.seal(scope, page.next) : null,
  };
}

/**
 * `GET /v1/support/stats`: chats by status, chats that are not closed per
 * agent, and the median first-response time in seconds (from a support
 * chat's creation to the first message by someone other than the
 * requester; null before any chat was answered). Reads the support index
 * once: cost grows with the number of support chats (about 10,000 per 1 MB
 * page of projected entries).
 */
export async function supportStats(ctx: DomainContext) {
  const entries = await ctx.repo.support.entries();
  const byStatus: Record<SupportStatus, number> = { open: 0, waiting: 0, resolved: 0, closed: 0 };
  const openPerAgent: Record<string, number> = {};
  const responses: number[] = [];
  let unassigned = 0;
  for (const e of entries) {
    byStatus[e.status] = (byStatus[e.status] ?? 0) + 1;
    if (e.status !== 'closed') {
      if (e.assigneeId) openPerAgent[e.assigneeId] = (openPerAgent[e.assigneeId] ?? 0) + 1;
      else unassigned++;
    }
    if (typeof e.firstResponseSeconds === 'number') responses.push(e.firstResponseSeconds);
  }
  return { byStatus, openPerAgent, unassigned, medianFirstResponseSeconds: median(responses), total: entries.length };
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
