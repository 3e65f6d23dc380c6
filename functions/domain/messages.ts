/**
 * Message rules (SPEC §3-§6): sending with a gap-free per-chat `seq`,
 * idempotent retries, rate limits, offline notifications, history and
 * search, read markers, edits, soft deletes and reactions.
 *
 * Every event is sent after the change it describes is stored.
 */
import {
  AttachmentNotUploadedError,
  BadRequestError,
  chatNotFound,
  ConflictError,
  EditWindowExpiredError,
  ForbiddenError,
  NotFoundError,
  ServiceUnavailableError,
} from './errors';
import type { MessageT } from '../schemas';
import { AUDIT_ACTIONS, managesGroup, recordAudit } from './audit';
import { pendingKey, prepareAttachments, presentMessage, presentMessages } from './attachments';
import { createChat, isAdmin, requireParticipant, requireReader } from './chats';
import type { DomainContext } from './context';
import { messageId, seqOfMessageId } from './ids';
import { takeSlot, withSlot } from './limits';
import type { ClientIdKey, ClientIdPointer, OfflineNotice, ServerEvent } from './ports';
import type { ChatRecord, MembershipRecord, MessageRecord, Principal } from './types';
import { preview, previewOf, unreadCount } from './views';

export interface SendMessageInput {
  content?: string;
  attachmentIds?: string[];
  replyTo?: string;
  clientMessageId?: string;
  metadata?: Record<string, unknown>;
  type?: 'text' | 'system';
  /** SPEC §5: ≤ 20 participant ids. */
  mentions?: string[];
}

/** SPEC §5: mentions per message. */
export const MAX_MENTIONS = 20;

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
  if (attempt >= 4) await pause(attempt);
  return attempt % 4 === 3 ? Math.max(seq, await ctx.repo.messages.latestSeq(chatId)) + 1 : seq + 1;
}

const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)));

/** SPEC §5: content limit in characters (code points, so an emoji counts once); 400 past it. */
export function checkContent(ctx: DomainContext, content: string): void {
  if ([...content].length > ctx.limits.maxContentLength) {
    throw new BadRequestError(`Message content is limited to ${ctx.limits.maxContentLength} characters.`);
  }
}

/**
 * Stores a message and delivers `message.new` to every participant.
 *
 * - Seq allocation: the next seq is the chat's `lastSeq` + 1 (read together
 *   with the membership check); the message is put only if that seq is free,
 *   else the next one is tried (`nextSeqAfterConflict`). The chat item's
 *   `lastSeq` only moves after a message is stored, so a crash between the
 *   two can delay it but never skip a seq: seqs are unique, strictly
 *   increasing and gap-free (SPEC §3).
 * - `clientMessageId`: claimed with one conditional write in the first round
 *   trip (with attachments: written in the message's transaction instead);
 *   a repeat (also a concurrent one) from the same sender in the same chat
 *   answers the first message with `replayed: true` and stores and sends
 *   nothing, or 409 with `Retry-After` while the first is still being
 *   stored. A claim left by a crashed send is taken over after
 *   `CLIENT_ID_LEASE_SECONDS`.
 * - Rate limit (SPEC §5): a per-user counter per minute, taken in parallel
 *   with the access check; over the limit → 429 `rate_limited`.
 * - Sending moves the sender's read marker; when that marks others'
 *   messages read, `messages.read` is emitted too.
 * - Participants without an open connection get an offline notification.
 *
 * Writes: message, chat item, sender's read marker, rate counter (4, plus the
 * pointer with a `clientMessageId`), whatever the chat's size.
 * Errors: 404 not a participant, 400 empty/too long/bad reply, 403 `system`
 * without admin, 429 rate limited, 400 `attachment_not_uploaded`.
 */
export async function sendMessage(
  ctx: DomainContext,
  principal: Principal,
  chatId: string,
  input: SendMessageInput,
  options: { slotTaken?: boolean } = {},
): Promise<{ message: MessageT; replayed: boolean }> {
  const content = input.content ?? '';
  const attachmentIds = input.attachmentIds ?? [];
  if (content.trim() === '' && attachmentIds.length === 0) throw new BadRequestError('A message needs content or attachments.');
  checkContent(ctx, content);
  const type = input.type ?? 'text';
  if (type === 'system' && !isAdmin(principal)) throw new ForbiddenError('Only admins may send system messages.');

  const now = ctx.now();
  const id = ctx.newId();
  // A clientMessageId is claimed up front with one plain write; with attachments it goes into the
  // message's transaction instead (see data/messages.ts).
  const claimKey = input.clientMessageId && attachmentIds.length === 0 ? { chatId, senderId: principal.userId, clientMessageId: input.clientMessageId } : undefined;
  // One round trip: access, rate limit, attachments, reply target and the claim are independent reads/writes.
  // (Attachment and reply lookups are keyed by this chat, so a non-participant learns nothing from them.)
  const results = await Promise.allSettled([
    // Admins post system messages into any chat (announcements); everyone else must be a participant.
    type === 'system' ? requireReader(ctx, principal, chatId) : requireParticipant(ctx, principal, chatId),
    // A support chat's initialMessage took its slot before the chat was created (`openSupportChat`).
    options.slotTaken ? Promise.resolve(undefined) : takeSlot(ctx, principal.userId, 'messages'),
    prepareAttachments(ctx, principal, chatId, attachmentIds),
    input.replyTo ? replyTarget(ctx, chatId, input.replyTo) : Promise.resolve(undefined),
    claimKey ? ctx.repo.messages.claimClientId(claimKey, id, now, CLIENT_ID_LEASE_SECONDS) : Promise.resolve(undefined),
    checkMentions(ctx, chatId, input.mentions),
  ] as const);
  const claim = results[4];
  const claimed = claimKey !== undefined && claim.status === 'fulfilled' && claim.value === undefined;
  // Nothing gets stored after all: give the claim back, so a corrected retry need not wait for the lease.
  const release = async () => {
    if (claimed) await ctx.repo.messages.releaseClientId(claimKey, id).catch(() => undefined);
  };
  // The access decision comes first: a non-participant gets 404 whatever else failed.
  const failure = results.find((r) => r.status === 'rejected');
  if (failure) {
    await release();
    throw failure.reason;
  }
  const [access, , attachments, reply, , mentions] = results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
    Awaited<ReturnType<typeof requireParticipant>>,
    undefined,
    Awaited<ReturnType<typeof prepareAttachments>>,
    MessageRecord | undefined,
    unknown,
    string[],
  ];
  const { chat, membership } = access;
  if (claimKey && !claimed) {
    const repeat = await repeatOfClaim(ctx, claimKey, (claim as PromiseFulfilledResult<ClientIdPointer>).value, id, now);
    if (repeat) return repeat;
  }

  const createdAt = now.toISOString();
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
      // Only the reference is stored: the preview is the original's current text, resolved when read (`presentMessages`).
      replyTo: reply ? { id: reply.id, seq: reply.seq, senderId: reply.senderId } : undefined,
      attachments: attachments.length > 0 ? attachments : undefined,
      reactions: {},
      clientMessageId: input.clientMessageId,
      metadata: input.metadata,
      mentions: mentions.length > 0 ? mentions : undefined,
      createdAt,
      // SPEC §10 retention: DynamoDB TTL removes it this many days after it was sent.
      expiresAt: ctx.limits.messageRetentionDays ? Math.floor(now.getTime() / 1000) + ctx.limits.messageRetentionDays * 86_400 : undefined,
    };
    const outcome = await ctx.repo.messages.putAtomically(candidate);
    if (outcome === 'stored') stored = candidate;
    else if (outcome === 'duplicate') return replay(ctx, principal, chatId, input.clientMessageId!);
    else if (outcome === 'attachment-used') {
      throw new AttachmentNotUploadedError('An attachment of this message was used by another message meanwhile.');
    } else if (outcome === 'retry') await pause(attempt + 2);
    else seq = await nextSeqAfterConflict(ctx, chatId, seq, attempt);
  }
  if (!stored) {
    await release();
    throw new ServiceUnavailableError('This chat is too busy right now; retry the message.');
  }

  // The objects now live under their final keys; the pending copies would expire in a day anyway.
  const view = await presentMessage(ctx, stored, undefined, reply ? [reply] : []);
  await Promise.all([
    ctx.storage.remove(attachments.map((a) => pendingKey(chatId, a.id))),
    afterStore(ctx, principal, chat, membership, stored, view),
  ]);
  return { message: view, replayed: false };
}

/**
 * How long a `clientMessageId` claim holds before a repeat may take it over:
 * longer than any function may run (≤ 30 s, API Gateway's integration
 * timeout; `lib/chat-function.ts` enforces it), so a claimant whose lease
 * has run out is no longer storing anything.
 */
export const CLIENT_ID_LEASE_SECONDS = 60;
/** A repeat waits for a concurrent first send at most 50 + 100 + … + 800 ms (five re-reads) before answering 409. */
const REPEAT_WAIT_MAX_MS = 800;

/**
 * A send whose `clientMessageId` was claimed before: the first message
 * (`replayed`), or undefined once this send has taken over a claim whose
 * message never came (the claimant crashed). While the first send may still
 * be running: 409 `conflict` with `Retry-After`.
 */
async function repeatOfClaim(
  ctx: DomainContext,
  key: ClientIdKey,
  pointer: ClientIdPointer,
  id: string,
  now: Date,
): Promise<{ message: MessageT; replayed: true } | undefined> {
  // A concurrent repeat (a client resending on a new connection) usually finds the first send a few
  // milliseconds from done: wait for it briefly rather than answer 409.
  let first = await ctx.repo.messages.findClaimedMessage(key.chatId, pointer);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const leaseHeld = pointer.seq !== undefined || (pointer.leaseUntil ?? 0) >= nowSeconds;
  for (let wait = 50; !first && leaseHeld && wait <= REPEAT_WAIT_MAX_MS; wait *= 2) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    first = await ctx.repo.messages.findClaimedMessage(key.chatId, pointer);
  }
  if (first) return { message: await presentMessage(ctx, first), replayed: true };
  const busy = (seconds: number) => new ConflictError('A message with this clientMessageId is being stored; retry.', { retryAfterSeconds: Math.max(1, seconds) });
  if (leaseHeld) throw busy((pointer.leaseUntil ?? nowSeconds) - nowSeconds + 1);
  if (await ctx.repo.messages.takeOverClientId(key, pointer, id, now, CLIENT_ID_LEASE_SECONDS)) return undefined;
  throw busy(CLIENT_ID_LEASE_SECONDS);
}

/**
 * SPEC §5: ≤ 20 mentions, each a current participant (one BatchGetItem of
 * their memberships, keyed by this chat); else 400. Answers them without
 * duplicates, in the order given.
 */
async function checkMentions(ctx: DomainContext, chatId: string, mentions: readonly string[] | undefined): Promise<string[]> {
  const unique = [...new Set(mentions ?? [])];
  if (unique.length === 0) return [];
  if (unique.length > MAX_MENTIONS) throw new BadRequestError(`A message mentions at most ${MAX_MENTIONS} participants.`);
  const members = new Set((await ctx.repo.memberships.getMany(chatId, unique)).map((m) => m.userId));
  const outsiders = unique.filter((u) => !members.has(u));
  if (outsiders.length > 0) throw new BadRequestError(`Mentions must be participants of the chat: ${outsiders.join(', ')}.`);
  return unique;
}

/** The first message stored with this `clientMessageId`; nothing is sent again. */
async function replay(ctx: DomainContext, principal: Principal, chatId: string, clientMessageId: string) {
  const first = await ctx.repo.messages.findByClientId(chatId, principal.userId, clientMessageId);
  if (!first) throw new ConflictError('A message with this clientMessageId is being stored; retry.');
  return { message: await presentMessage(ctx, first), replayed: true };
}

/** Chat item, read marker, first response, then events and offline notifications. */
async function afterStore(
  ctx: DomainContext,
  principal: Principal,
  chat: ChatRecord,
  membership: MembershipRecord | undefined,
  stored: MessageRecord,
  view: MessageT,
) {
  const { chatId, createdAt } = stored;
  // The chat item and read marker follow the stored message; delivery need not wait for them. Once the
  // message is stored the send has succeeded: a failure here is not reported to the sender (who would
  // retry and duplicate it). A lagging chat item heals with the next message (the seq walk in
  // `nextSeqAfterConflict`), a lagging marker with the next read.
  const updates = Promise.all([
    ctx.repo.chats.recordMessage(chatId, previewOf(stored)),
    membership ? ctx.repo.memberships.advanceReadMarker(chatId, principal.userId, stored.seq, createdAt) : Promise.resolve(false),
    // Support desk statistics: the first answer by anyone but the requester (once per chat).
    chat.type === 'support' && !chat.firstResponseAt && principal.userId !== chat.requesterId
      ? ctx.repo.chats.recordFirstResponse(chatId, createdAt, Math.max(0, Math.round((Date.parse(createdAt) - Date.parse(chat.createdAt)) / 1000)))
      : undefined,
    // `unreadMentions` (SPEC §3): one write per mentioned participant, before the event goes out.
    stored.mentions?.length ? ctx.repo.memberships.addMention(chatId, stored.mentions.filter((u) => u !== principal.userId), stored.seq) : undefined,
  ]).catch(() => [undefined, false] as const);

  const events: ServerEvent[] = [{ type: 'message.new', chatId, message: view }];
  // The sender had unread messages from others: their marker jumps over them, which is a read receipt.
  // It rides on the same fan-out (one participant and presence lookup for both events).
  if (membership && membership.lastReadSeq < stored.seq - 1) {
    events.push({ type: 'messages.read', chatId, userId: principal.userId, lastReadSeq: stored.seq, readAt: createdAt });
  }
  await Promise.all([
    updates,
    ctx.notifier.toChat(chat, events, { offline: offlineNotice(ctx, principal, chat, stored) }),
    stored.type === 'system' ? recordAudit(ctx, principal, AUDIT_ACTIONS.systemMessageSent, { type: 'message', id: stored.id, chatId }, { seq: stored.seq }) : undefined,
  ]);
}

/**
 * What offline recipients are told about a message (SPEC §8), or nothing
 * for system messages (announcements do not notify). With `PUSH_PREVIEW=none`
 * (`ctx.pushPreview`) no content, sender name or chat title is included,
 * so none of it reaches the fan-out queue, the bus or a push service.
 */
export function offlineNotice(ctx: DomainContext, principal: Principal, chat: ChatRecord, stored: MessageRecord): OfflineNotice | undefined {
  if (stored.type !== 'text') return undefined;
  const base = { messageId: stored.id, seq: stored.seq, senderId: stored.senderId, mentions: stored.mentions };
  if (ctx.pushPreview === 'none') return base;
  const first = stored.attachments?.[0];
  return {
    ...base,
    senderName: principal.name,
    chatTitle: chat.title,
    preview: stored.content.trim() !== '' ? preview(stored.content) : `[${first?.kind ?? 'attachment'}] ${first?.filename ?? ''}`.trim(),
  };
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
    replayed: sent.replayed,
    chat: {
      ...chat,
      lastSeq: Math.max(chat.lastSeq, m.seq),
      lastMessage: { id: m.id, seq: m.seq, senderId: m.senderId, type: m.type, content: preview(m.content), createdAt: m.createdAt },
      lastReadSeq: Math.max(chat.lastReadSeq, m.seq),
      unreadCount: 0,
      unreadMentions: 0,
      updatedAt: m.createdAt,
    },
  };
}

/** The message a reply quotes: one of this chat (400 otherwise; a deleted one may be quoted, its preview is then ""). */
async function replyTarget(ctx: DomainContext, chatId: string, replyToId: string): Promise<MessageRecord> {
  const seq = seqOfMessageId(replyToId);
  const target = seq === undefined ? undefined : await ctx.repo.messages.get(chatId, seq);
  if (!target || target.id !== replyToId) throw new BadRequestError('replyTo must be the id of a message in this chat.');
  return target;
}

/** The message `messageId` of `chatId` (strongly consistent), or 404. */
export async function findMessage(ctx: DomainContext, chatId: string, id: string): Promise<MessageRecord> {
  const seq = seqOfMessageId(id);
  const message = seq === undefined ? undefined : await ctx.repo.messages.get(chatId, seq, true);
  if (!message || message.id !== id) throw new NotFoundError('Message not found.');
  return message;
}

/**
 * `PATCH .../messages/{id} {content}`: the author, within the edit window
 * (SPEC §5, 15 minutes by default; later 403 `edit_window_expired`). Sets
 * `editedAt` and emits `message.edited`. A deleted message cannot be edited
 * (409); the write is conditional, so an edit racing a delete never
 * resurrects content.
 */
export async function editMessage(ctx: DomainContext, principal: Principal, chatId: string, id: string, content: string) {
  if (content.trim() === '') throw new BadRequestError('Content cannot be empty; delete the message instead.');
  checkContent(ctx, content);
  const { chat } = await withSlot(ctx, principal.userId, 'writes', requireParticipant(ctx, principal, chatId));
  const message = await findMessage(ctx, chatId, id);
  if (message.senderId !== principal.userId) throw new ForbiddenError('Only the author may edit a message.');
  if (message.deletedAt) throw new ConflictError('The message was deleted.');
  const now = ctx.now();
  const editableSince = new Date(now.getTime() - ctx.limits.editWindowSeconds * 1000).toISOString();
  if (message.createdAt < editableSince) throw new EditWindowExpiredError(ctx.limits.editWindowSeconds);

  const edited = await ctx.repo.messages.edit(
    { chatId, seq: message.seq, id, senderId: principal.userId },
    { content, editedAt: now.toISOString(), editableSince },
  );
  if (!edited) throw new ConflictError('The message was deleted meanwhile.');
  if (chat.lastMessage?.id === id) await ctx.repo.chats.replacePreview(chatId, previewOf(edited));
  const view = await presentMessage(ctx, edited, await markersOf(ctx, chatId));
  await ctx.notifier.toChat(chat, { type: 'message.edited', chatId, message: view });
  return { message: view };
}

/**
 * `DELETE .../messages/{id}`: soft delete by the author, a group
 * owner/admin or a platform admin. Keeps id and seq, clears content,
 * attachments and metadata, sets `deletedAt`, emits `message.deleted
 * {chatId, messageId, seq}`. Idempotent: deleting again answers the deleted
 * message and emits nothing.
 */
export async function deleteMessage(ctx: DomainContext, principal: Principal, chatId: string, id: string) {
  const { chat, membership } = await withSlot(ctx, principal.userId, 'writes', requireReader(ctx, principal, chatId));
  const message = await findMessage(ctx, chatId, id);
  const moderator = isAdmin(principal) || (chat.type === 'group' && (membership?.role === 'owner' || membership?.role === 'admin'));
  if (message.senderId !== principal.userId && !moderator) {
    // Non-participants (other than admins) never get here: requireReader answered 404.
    throw new ForbiddenError('Only the author, a group owner/admin or an admin may delete this message.');
  }
  if (message.deletedAt) return { message: await presentMessage(ctx, message) };
  // Reactions go with the content (SPEC §4): nothing of a deleted message but its place in the chat stays.
  const result = await ctx.repo.messages.softDelete({ chatId, seq: message.seq, id }, ctx.now().toISOString(), Object.keys(message.reactions));
  if (!result.deleted) return { message: await presentMessage(ctx, result.message ?? (await findMessage(ctx, chatId, id))) };
  const deleted = result.message;
  await Promise.all([
    // Deleting the objects also ends download URLs handed out before the delete.
    ctx.storage.remove((message.attachments ?? []).map((a) => a.key)),
    chat.lastMessage?.id === id ? ctx.repo.chats.replacePreview(chatId, previewOf(deleted)) : undefined,
  ]);
  await Promise.all([
    ctx.notifier.toChat(chat, { type: 'message.deleted', chatId, messageId: id, seq: deleted.seq }),
    // Another user's message deleted by platform role (not as the group's owner/admin) is a moderation act.
    message.senderId !== principal.userId && isAdmin(principal) && !managesGroup(chat, membership)
      ? recordAudit(ctx, principal, AUDIT_ACTIONS.messageDeleted, { type: 'message', id, chatId }, { senderId: message.senderId, seq: message.seq })
      : undefined,
  ]);
  return { message: await presentMessage(ctx, deleted, await markersOf(ctx, chatId)) };
}

/** Read markers of every participant, for `readBy` (⌈N/100⌉ BatchGetItem). */
export async function markersOf(ctx: DomainContext, chatId: string): Promise<Map<string, number>> {
  const participants = await ctx.repo.memberships.listParticipants(chatId);
  return participants.length > 0 ? ctx.repo.memberships.readMarkers(chatId, participants.map((p) => p.userId)) : new Map();
}

export interface ListMessagesInput {
  limit: number;
  before?: number;
  after?: number;
  q?: string;
}

/** Search reads history in pages of this many messages... */
const SEARCH_PAGE = 100;
/** ...and at most this many per request; `nextCursor` continues from where it stopped. */
const SEARCH_BUDGET = 1000;

/**
 * A page of history, ascending by seq (SPEC §4). `nextCursor` is the seq to
 * pass as `before` (or `after`, when paging forward with `after`) for the
 * next page, null when `hasMore` is false. `readBy` comes from the
 * participants' read markers (⌈N/100⌉ BatchGetItem requests).
 *
 * With `q`: messages whose content contains `q`, case-insensitively
 * (Unicode case folding via `toLocaleLowerCase`), deleted messages never
 * matching. DynamoDB has no text index, so search reads the history
 * (newest first, or oldest first with `after`) in pages of 100 and keeps the
 * matches; one request reads at most 1,000 messages, and `nextCursor`
 * continues the scan from where it stopped (a page can hold fewer than
 * `limit` matches while `hasMore` is true).
 */
export async function listMessages(ctx: DomainContext, principal: Principal, chatId: string, input: ListMessagesInput) {
  await requireReader(ctx, principal, chatId);
  const forward = input.after !== undefined;
  let messages: MessageRecord[];
  let hasMore: boolean;
  let cursor: number | undefined;
  if (input.q === undefined) {
    ({ messages, hasMore } = await ctx.repo.messages.page(chatId, { before: input.before, after: input.after, limit: input.limit }));
    const edge = forward ? messages.at(-1) : messages[0];
    cursor = edge?.seq;
  } else {
    ({ messages, hasMore, cursor } = await search(ctx, chatId, input.q, input));
  }
  const markers = messages.length > 0 ? await markersOf(ctx, chatId) : new Map<string, number>();
  return {
    messages: await presentMessages(ctx, messages, markers),
    hasMore,
    nextCursor: hasMore && cursor !== undefined ? String(cursor) : null,
  };
}

async function search(ctx: DomainContext, chatId: string, q: string, input: ListMessagesInput) {
  const needle = q.toLocaleLowerCase();
  const forward = input.after !== undefined;
  const found: MessageRecord[] = [];
  let position = forward ? input.after : input.before;
  let scanned = 0;
  let more = true;
  while (found.length < input.limit && scanned < SEARCH_BUDGET && more) {
    const page = await ctx.repo.messages.page(chatId, forward ? { after: position, limit: SEARCH_PAGE } : { before: position, limit: SEARCH_PAGE });
    const ordered = forward ? page.messages : [...page.messages].reverse();
    more = page.hasMore;
    for (const [i, m] of ordered.entries()) {
      scanned++;
      position = m.seq;
      if (!m.deletedAt && m.content.toLocaleLowerCase().includes(needle)) found.push(m);
      if (found.length === input.limit) {
        more = more || i < ordered.length - 1;
        break;
      }
    }
    if (ordered.length === 0) more = false;
  }
  found.sort((a, b) => a.seq - b.seq);
  return { messages: found, hasMore: more, cursor: position };
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
    const marker = await ctx.repo.memberships.advanceReadMarker(chatId, principal.userId, target, readAt);
    // Not moved: a concurrent read (another device) moved it further; report the stored value.
    if (marker.lastReadSeq === undefined) throw chatNotFound();
    lastReadSeq = marker.lastReadSeq;
    // Mentions the marker passed no longer count (SPEC §3 `unreadMentions`); pruned so the set stays small.
    const passed = (membership.mentionSeqs ?? []).filter((seq) => seq <= lastReadSeq);
    await Promise.all([
      passed.length > 0 ? ctx.repo.memberships.dropMentions(chatId, principal.userId, passed).catch(() => undefined) : undefined,
      marker.moved ? ctx.notifier.toChat(chat, { type: 'messages.read', chatId, userId: principal.userId, lastReadSeq, readAt }) : undefined,
    ]);
  }
  return { lastReadSeq, unreadCount: unreadCount(chat, { ...membership, lastReadSeq }) };
}
