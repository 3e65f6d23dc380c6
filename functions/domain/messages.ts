/**
 * Message rules (SPEC §3-§6): sending with a gap-free per-chat `seq`,
 * reading history pages, and read markers.
 */
import { AppError, BadRequestError, ForbiddenError, NotFoundError, ServiceUnavailableError } from '../lib/errors';
import type { MessageT } from '../schemas';
import { messageId, seqOfMessageId } from './ids';
import { createChat, isAdmin, requireParticipant, requireReader } from './chats';
import type { DomainContext } from './context';
import type { MessageRecord, Principal } from './types';
import { messageView, preview, previewOf, unreadCount } from './views';

export interface SendMessageInput {
  content?: string;
  attachmentIds?: string[];
  replyTo?: string;
  clientMessageId?: string;
  metadata?: Record<string, unknown>;
  type?: 'text' | 'system';
}

/** Bound on seq attempts under contention; past it the sender gets a 503 to retry. */
const MAX_SEQ_ATTEMPTS = 50;

/**
 * The seq to try after `seq` turned out to be taken. A taken seq proves its
 * predecessors exist, so `seq + 1` is always gap-free and needs no read;
 * every fourth attempt re-reads the latest seq to catch up quickly when the
 * chat item lags far behind (e.g. after a crash between message and chat
 * writes). Past a few attempts a short random pause spreads racing senders.
 */
async function nextSeqAfterConflict(ctx: DomainContext, chatId: string, seq: number, attempt: number): Promise<number> {
  if (attempt >= 4) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)));
  return attempt % 4 === 3 ? Math.max(seq, await ctx.repo.messages.latestSeq(chatId)) + 1 : seq + 1;
}

export async function sendMessage(ctx: DomainContext, principal: Principal, chatId: string, input: SendMessageInput): Promise<{ message: MessageT }> {
  const content = input.content ?? '';
  const attachmentIds = input.attachmentIds ?? [];
  if (content.trim() === '' && attachmentIds.length === 0) throw new BadRequestError('A message needs content or attachments.');
  if ([...content].length > ctx.limits.maxContentLength) {
    throw new BadRequestError(`Message content is limited to ${ctx.limits.maxContentLength} characters.`);
  }
  const type = input.type ?? 'text';
  if (type === 'system' && !isAdmin(principal)) throw new ForbiddenError('Only admins may send system messages.');

  const { chat } = await requireParticipant(ctx, principal, chatId);
  if (attachmentIds.length > 0) {
    throw new AppError(400, 'attachment_not_uploaded', `Attachment ${attachmentIds[0]} is not an uploaded attachment of yours in this chat.`);
  }
  const replyTo = input.replyTo ? await replyPreview(ctx, chatId, input.replyTo) : undefined;

  const id = ctx.newId();
  const createdAt = ctx.now().toISOString();
  let seq = chat.lastSeq + 1;
  let stored: MessageRecord | undefined;
  for (let attempt = 0; attempt < MAX_SEQ_ATTEMPTS && !stored; attempt++) {
    const candidate: MessageRecord = {
      id: messageId(id, seq),
      chatId,
      seq,
      senderId: principal.userId,
      type,
      content,
      replyTo,
      reactions: {},
      clientMessageId: input.clientMessageId,
      metadata: input.metadata,
      createdAt,
    };
    if (await ctx.repo.messages.putIfSeqFree(candidate)) stored = candidate;
    else seq = await nextSeqAfterConflict(ctx, chatId, seq, attempt);
  }
  if (!stored) throw new ServiceUnavailableError('This chat is too busy right now; retry the message.');

  await Promise.all([
    ctx.repo.chats.recordMessage(chatId, previewOf(stored)),
    ctx.repo.memberships.advanceReadMarker(chatId, principal.userId, stored.seq, createdAt),
    // Support desk statistics: the first answer by anyone but the requester (once per chat).
    chat.type === 'support' && !chat.firstResponseAt && principal.userId !== chat.requesterId
      ? ctx.repo.chats.recordFirstResponse(chatId, createdAt, Math.max(0, Math.round((Date.parse(createdAt) - Date.parse(chat.createdAt)) / 1000)))
      : undefined,
  ]);
  const view = messageView(stored);
  await ctx.notifier.toChat(chatId, { type: 'message.new', chatId, message: view });
  return { message: view };
}

/**
 * `POST /v1/messages {to, ...}` and `sendMessage {to}`: finds or creates the
 * direct chat with `to` (idempotent per pair), then sends. Answers the
 * message and the chat as the sender sees it after the send.
 */
export async function sendToUser(ctx: DomainContext, principal: Principal, input: SendMessageInput & { to: string }) {
  const { to, ...message } = input;
  const { chat } = await createChat(ctx, principal, { type: 'direct', participantIds: [to] });
  const sent = await sendMessage(ctx, principal, chat.id, message);
  const m = sent.message;
  return {
    message: m,
    chat: {
      ...chat,
      lastSeq: Math.max(chat.lastSeq, m.seq),
      lastMessage: { id: m.id, seq: m.seq, senderId: m.senderId, type: m.type, content: preview(m.content), createdAt: m.createdAt },
      lastReadSeq: m.seq,
      unreadCount: Math.max(0, chat.lastSeq - m.seq),
      updatedAt: m.createdAt,
    },
  };
}

async function replyPreview(ctx: DomainContext, chatId: string, replyToId: string) {
  const seq = seqOfMessageId(replyToId);
  const target = seq === undefined ? undefined : await ctx.repo.messages.get(chatId, seq);
  if (!target || target.id !== replyToId) throw new BadRequestError('replyTo must be the id of a message in this chat.');
  return { id: target.id, seq: target.seq, senderId: target.senderId, preview: target.deletedAt ? '' : preview(target.content) };
}

export interface ListMessagesInput {
  limit: number;
  before?: number;
  after?: number;
  q?: string;
}

/**
 * A page of history, ascending by seq (SPEC §4). `nextCursor` is the seq to
 * pass as `before` (or `after`, when paging forward with `after`) for the
 * next page, null when `hasMore` is false. `readBy` comes from the
 * participants' read markers (⌈N/100⌉ BatchGetItem requests).
 */
export async function listMessages(ctx: DomainContext, principal: Principal, chatId: string, input: ListMessagesInput) {
  await requireReader(ctx, principal, chatId);
  if (input.q !== undefined) throw new BadRequestError('Search (q) is not available yet.');
  const { messages, hasMore } = await ctx.repo.messages.page(chatId, { before: input.before, after: input.after, limit: input.limit });
  const participants = messages.length > 0 ? await ctx.repo.memberships.listParticipants(chatId) : [];
  const markers = participants.length > 0 ? await ctx.repo.memberships.readMarkers(chatId, participants.map((p) => p.userId)) : new Map();
  const edge = input.after !== undefined ? messages.at(-1) : messages[0];
  return {
    messages: messages.map((m) => messageView(m, markers)),
    hasMore,
    nextCursor: hasMore && edge ? String(edge.seq) : null,
  };
}

/**
 * Moves the caller's read marker forward (SPEC §4 `POST .../read`), to
 * `upToSeq` or to the latest message; never backwards, never past the last
 * message. Emits `messages.read` when the marker moved.
 */
export async function markRead(ctx: DomainContext, principal: Principal, chatId: string, upToSeq?: number) {
  const { chat, membership } = await requireParticipant(ctx, principal, chatId);
  const target = Math.min(upToSeq ?? chat.lastSeq, chat.lastSeq);
  let lastReadSeq = membership.lastReadSeq;
  if (target > lastReadSeq) {
    const readAt = ctx.now().toISOString();
    if (await ctx.repo.memberships.advanceReadMarker(chatId, principal.userId, target, readAt)) {
      lastReadSeq = target;
      await ctx.notifier.toChat(chatId, { type: 'messages.read', chatId, userId: principal.userId, lastReadSeq, readAt });
    } else {
      // A concurrent read (another device) moved it further; report the stored value.
      const fresh = await ctx.repo.chats.getWithMembership(chatId, principal.userId);
      if (!fresh.membership) throw new NotFoundError('Chat not found.');
      lastReadSeq = fresh.membership.lastReadSeq;
    }
  }
  return { lastReadSeq, unreadCount: unreadCount(chat, { ...membership, lastReadSeq }) };
}
