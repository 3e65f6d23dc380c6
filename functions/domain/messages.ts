/**
 * Message rules (SPEC §3-§6): sending with a gap-free per-chat `seq`,
 * idempotent retries, rate limits, offline notifications, history and
 * search, read markers, edits, soft deletes and reactions.
 *
 * Every event is sent after the change it describes is stored.
 */
import { isBlank } from './text';
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
import { checkNotFrozen } from './groups';
import type { DomainContext } from './context';
import { messageId, seqOfMessageId } from './ids';
import { takeSlot, withSlot } from './limits';
import type { ClientIdKey, ClientIdPointer, HiddenFrom, OfflineNotice, ServerEvent } from './ports';
import type { ChatRecord, MembershipRecord, MessagePreview, MessageRecord, ModerationState, Principal } from './types';
import { refuseBanned } from './bans';
import { blockedByViewer, checkDirectAllowed } from './blocks';
import { viewFor } from './hidden';
import { preview, previewOf, unreadCount } from './views';
import { checkBlockedWords } from './word-filter';

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

/**
 * Bound on allocations per send. Only a chat item whose `lastSeq` lags its
 * messages makes an allocated seq turn out taken (a chat written by the
 * optimistic allocator of earlier versions, which moved `lastSeq` after the
 * message); each allocation moves past one such message, so the lag heals
 * within a few sends. Past the bound: 503, retry.
 */
const MAX_ALLOCATIONS = 10;
/** Bound on re-sending a transaction that collided with another one in flight (TransactionConflict). */
const MAX_TRANSACTION_RETRIES = 5;

const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)));

/**
 * SPEC §5: content limit in characters (code points, so an emoji counts
 * once); 400 past it. SPEC §9: 400 `content_blocked` for a blocked word.
 * Checked before anything is read or written, so a refused message stores
 * nothing.
 */
export function checkContent(ctx: DomainContext, content: string): void {
  if ([...content].length > ctx.limits.maxContentLength) {
    throw new BadRequestError(`Message content is limited to ${ctx.limits.maxContentLength} characters.`);
  }
  checkBlockedWords(ctx.limits.blockedWords, content);
}

/**
 * Stores a message and delivers `message.new` to every participant.
 *
 * - Seq allocation (`storeAtNextSeq`): after the checks, one atomic
 *   UpdateItem on the chat item allocates the seq and sets `lastMessage`,
 *   then the message is put at it. k members sending at once cost k
 *   allocations and k puts: no retries, no 503 from contention. Seqs are
 *   unique and strictly increasing; a failed put leaves a deleted
 *   placeholder, and only a function dying in that one round trip leaves a
 *   gap (`storeAtNextSeq`, `healGaps`).
 * - `clientMessageId`: claimed with one conditional write in the first round
 *   trip, before a seq is allocated; a repeat (also a concurrent one) from the same sender in the same chat
 *   answers the first message with `replayed: true` and stores and sends
 *   nothing, or 409 with `Retry-After` while the first is still being
 *   stored. A claim left by a crashed send is taken over after
 *   `CLIENT_ID_LEASE_SECONDS`.
 * - Rate limit (SPEC §5): a per-user counter per minute, taken in parallel
 *   with the access check; over the limit → 429 `rate_limited`.
 * - Sending moves the sender's read marker (alongside the put); when that
 *   marks others' messages read, `messages.read` is emitted too.
 * - Participants without an open connection get an offline notification.
 *
 * Writes: chat item (allocation), message, sender's read marker, rate
 * counter (4, plus the claim with a `clientMessageId`), whatever the chat's
 * size and however many members send at once. Round trips: checks,
 * allocation, put + marker, then the fan-out.
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
  // Zero-width-only text ("\u200B") shows nothing: it is no content (issue 13 item 13).
  if (isBlank(content) && attachmentIds.length === 0) throw new BadRequestError('A message needs visible content or attachments.');
  checkContent(ctx, content);
  const type = input.type ?? 'text';
  if (type === 'system' && !isAdmin(principal)) throw new ForbiddenError('Only admins may send system messages.');

  const now = ctx.now();
  const id = ctx.newId();
  // A clientMessageId is claimed up front with one plain write, before any seq is allocated: a repeat
  // never allocates one.
  const claimKey = input.clientMessageId ? { chatId, senderId: principal.userId, clientMessageId: input.clientMessageId } : undefined;
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
    // SPEC §9: the sender's own moderation item: a ban, blocks in a direct chat, and who must see placeholders.
    ctx.repo.moderation.state(principal.userId, true),
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
  const [access, , attachments, reply, , mentions, moderation] = results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
    Awaited<ReturnType<typeof requireParticipant>>,
    undefined,
    Awaited<ReturnType<typeof prepareAttachments>>,
    MessageRecord | undefined,
    unknown,
    string[],
    ModerationState,
  ];
  const { chat, membership } = access;
  try {
    refuseBanned(moderation);
    checkDirectAllowed(chat, moderation);
    checkNotFrozen(principal, chat);
  } catch (error) {
    await release();
    throw error;
  }
  if (claimKey && !claimed) {
    const repeat = await repeatOfClaim(ctx, claimKey, (claim as PromiseFulfilledResult<ClientIdPointer>).value, id, now);
    if (repeat) return repeat;
  }

  const createdAt = now.toISOString();
  const build = (seq: number): MessageRecord => ({
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
  });
  let stored: MessageRecord;
  try {
    stored = await storeAtNextSeq(ctx, build, id, membership !== undefined);
  } catch (error) {
    await release();
    throw error;
  }

  // The objects now live under their final keys; the pending copies would expire in a day anyway.
  const [view, quoted] = await Promise.all([presentMessage(ctx, stored, undefined, reply ? [reply] : []), replyBlockers(ctx, principal, reply?.senderId, moderation)]);
  await Promise.all([
    ctx.storage.remove(attachments.map((a) => pendingKey(chatId, a.id))),
    afterStore(ctx, principal, chat, membership, stored, view, moderation.blockedBy, quoted),
  ]);
  return { message: view, replayed: false };
}

/**
 * Allocates the next seq (`ChatStore.allocateSeq`: one atomic UpdateItem
 * that also makes this message the chat's `lastMessage`) and puts the
 * message there, with the sender's read marker moved alongside. Cost is
 * linear in the number of senders: each send is one allocation and one put
 * however many members send at once (SPEC §3 seqs: unique, strictly
 * increasing).
 *
 * Gaps: a seq is allocated before its message exists. When the put fails
 * (an attachment consumed meanwhile, transaction conflicts past the bound,
 * a DynamoDB error), the seq is filled with a deleted placeholder
 * (`fillGap`), so seqs stay contiguous and unread counts (`lastSeq -
 * lastReadSeq`) count exactly the stored messages. Only a function that
 * dies between the allocation and the put (a crash or timeout within that
 * one round trip) leaves a seq without a message: the SPEC's catch-up rules
 * tolerate that gap (a page simply lacks that seq), and
 * `healGaps` fills it with the same placeholder the first time a history
 * read finds it once that sender can no longer be running.
 */
async function storeAtNextSeq(ctx: DomainContext, build: (seq: number) => MessageRecord, ulid: string, moveMarker: boolean): Promise<MessageRecord> {
  const draft = build(0);
  for (let allocation = 0; allocation < MAX_ALLOCATIONS; allocation++) {
    const seq = await ctx.repo.chats.allocateSeq(draft.chatId, { ulid, ...withoutIdentity(previewOf(draft)) });
    if (seq === undefined) throw chatNotFound();
    const candidate = build(seq);
    const [outcome] = await Promise.all([
      putAt(ctx, candidate).catch(async (error: unknown) => {
        await fillGap(ctx, candidate);
        throw error;
      }),
      // The marker may move before the message is stored: a failed put leaves a placeholder at this seq.
      moveMarker ? ctx.repo.memberships.advanceReadMarker(draft.chatId, draft.senderId, seq, draft.createdAt).catch(() => undefined) : undefined,
    ]);
    if (outcome === 'stored') return candidate;
    if (outcome === 'seq-taken') continue;
    await fillGap(ctx, candidate);
    if (outcome === 'attachment-used') throw new AttachmentNotUploadedError('An attachment of this message was used by another message meanwhile.');
    throw new ServiceUnavailableError('This chat is too busy right now; retry the message.');
  }
  throw new ServiceUnavailableError('This chat is too busy right now; retry the message.');
}

function withoutIdentity(preview: ReturnType<typeof previewOf>) {
  const { id: _id, seq: _seq, ...rest } = preview;
  return rest;
}

/** The put at an allocated seq; a transaction that collided with another in flight is sent again. */
async function putAt(ctx: DomainContext, message: MessageRecord) {
  for (let attempt = 0; ; attempt++) {
    const outcome = await ctx.repo.messages.putAtomically(message);
    if (outcome !== 'retry' || attempt === MAX_TRANSACTION_RETRIES) return outcome;
    await pause(attempt + 2);
  }
}

/**
 * The placeholder for a seq whose message was never stored: a deleted
 * message (SPEC §3: `content` "", `deletedAt` set) by `senderId`, so clients
 * see an ordinary deleted message and the seq run stays contiguous; and the
 * chat's `lastMessage`, when it still shows this seq's preview, shows the
 * placeholder's. Best effort: a DynamoDB failure here leaves the gap for
 * `healGaps`. Written only when nothing is at the seq (a late real message
 * wins; the placeholder never overwrites one).
 */
export async function fillGap(ctx: DomainContext, at: Pick<MessageRecord, 'id' | 'chatId' | 'seq' | 'senderId' | 'createdAt'>): Promise<void> {
  const placeholder: MessageRecord = {
    id: at.id,
    chatId: at.chatId,
    seq: at.seq,
    senderId: at.senderId,
    type: 'text',
    content: '',
    reactions: {},
    createdAt: at.createdAt,
    deletedAt: at.createdAt,
  };
  try {
    if ((await ctx.repo.messages.putAtomically(placeholder)) === 'stored') await ctx.repo.chats.replacePreview(at.chatId, previewOf(placeholder));
  } catch {
    // Left for healGaps.
  }
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

/** First response (support chats), then events and offline notifications. The chat item and marker moved with the store. */
async function afterStore(
  ctx: DomainContext,
  principal: Principal,
  chat: ChatRecord,
  membership: MembershipRecord | undefined,
  stored: MessageRecord,
  view: MessageT,
  blockers: readonly string[],
  quotedBlockers: readonly string[] = [],
) {
  const { chatId, createdAt } = stored;
  // Once the message is stored the send has succeeded: a failure here is not reported to the sender (who
  // would retry and duplicate it).
  const updates = Promise.all([
    // Support desk statistics: the first answer by anyone but the requester (once per chat).
    chat.type === 'support' && !chat.firstResponseAt && principal.userId !== chat.requesterId
      ? ctx.repo.chats.recordFirstResponse(chatId, createdAt, Math.max(0, Math.round((Date.parse(createdAt) - Date.parse(chat.createdAt)) / 1000)))
      : undefined,
    // `unreadMentions` (SPEC §3): one write per mentioned participant, before the event goes out. Those who
    // block the sender see a placeholder without mentions (SPEC §9): it does not count for them.
    stored.mentions?.length ? ctx.repo.memberships.addMention(chatId, countedMentions(stored.mentions, principal.userId, blockers), stored.seq) : undefined,
  ]).catch(() => undefined);

  // SPEC §6: no `messages.read` for the sender's own send: `message.new` implies that the sender's
  // `lastReadSeq` is now this seq (clients move it themselves), which saves a post per connection.
  const event: ServerEvent = { type: 'message.new', chatId, message: view, at: createdAt };
  await Promise.all([
    updates,
    // SPEC §9: those who block the sender get placeholders and no notification; those who block the quoted sender, a hidden preview.
    ctx.notifier.toChat(chat, event, { offline: offlineNotice(ctx, principal, chat, stored), hide: hidingOf(blockers, quotedBlockers) }),
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

/**
 * SPEC §9: who must see a reply's preview hidden: those who block the
 * quoted message's sender (one GetItem of their moderation item, only for a
 * reply to another user; a reply to oneself reuses the sender's own).
 */
async function replyBlockers(ctx: DomainContext, principal: Principal, quotedSenderId: string | undefined, own: ModerationState): Promise<readonly string[]> {
  if (quotedSenderId === undefined) return [];
  if (quotedSenderId === principal.userId) return own.blockedBy;
  return (await ctx.repo.moderation.state(quotedSenderId)).blockedBy;
}

/** The `hide` of a message event (SPEC §9), absent when nobody blocks the sender or the quoted sender. */
function hidingOf(blockers: readonly string[], quoted: readonly string[]): HiddenFrom | undefined {
  const reply = quoted.filter((u) => !blockers.includes(u));
  if (blockers.length === 0 && reply.length === 0) return undefined;
  return { ...(blockers.length > 0 ? { sender: blockers } : {}), ...(reply.length > 0 ? { reply } : {}) };
}

/** The message `messageId` of `chatId` (strongly consistent), or 404. */
export async function findMessage(ctx: DomainContext, chatId: string, id: string): Promise<MessageRecord> {
  const seq = seqOfMessageId(id);
  const message = seq === undefined ? undefined : await ctx.repo.messages.get(chatId, seq, true);
  if (!message || message.id !== id) throw new NotFoundError('Message not found.');
  return message;
}

/** The mentioned participants whose `unreadMentions` a message counts in: not its author, not those who block the author (SPEC §3, §9). */
function countedMentions(mentions: readonly string[], authorId: string, blockers: readonly string[]): string[] {
  return mentions.filter((u) => u !== authorId && !blockers.includes(u));
}

/**
 * `PATCH .../messages/{id} {content, mentions?}`: the author, within the edit window
 * (SPEC §5, 15 minutes by default; later 403 `edit_window_expired`). Sets
 * `editedAt` and emits `message.edited`. A deleted message cannot be edited
 * (409); the write is conditional, so an edit racing a delete never
 * resurrects content.
 *
 * Mentions (the SPEC's edit body is `{content}`; this is what a client
 * expects when the edited text gains or loses an `@name`): `mentions`
 * given replaces the message's (≤ 20; a participant newly added must be a
 * current one, else 400; `[]` removes them all); absent keeps them.
 * - Newly mentioned participants who have not read the message yet
 *   (`lastReadSeq < seq`) get it in `unreadMentions` (+1) and are notified
 *   offline like a mention at send (SPEC §8): unless their level is `none`,
 *   they are connected (they get `message.edited`), they block the author,
 *   or a notification about this message or a later one already reached
 *   them (`notifiedSeq >= seq`).
 * - Mentions removed stop counting (`unreadMentions` −1 while still unread;
 *   a number set, so never below 0); nobody is told.
 * Costs, only when mentions change: one BatchGetItem of the added
 * participants' memberships, one UpdateItem per added or removed
 * participant.
 */
export async function editMessage(ctx: DomainContext, principal: Principal, chatId: string, id: string, content: string, mentionIds?: string[]) {
  if (isBlank(content)) throw new BadRequestError('Content cannot be empty (or invisible); delete the message instead.');
  checkContent(ctx, content);
  const [{ chat }, moderation] = await Promise.all([
    withSlot(ctx, principal.userId, 'writes', requireParticipant(ctx, principal, chatId)),
    // SPEC §9: those who block the author see the edit as a placeholder too.
    ctx.repo.moderation.state(principal.userId),
  ]);
  checkNotFrozen(principal, chat);
  const message = await findMessage(ctx, chatId, id);
  if (message.senderId !== principal.userId) throw new ForbiddenError('Only the author may edit a message.');
  if (message.deletedAt) throw new ConflictError('The message was deleted.');
  const now = ctx.now();
  const editableSince = new Date(now.getTime() - ctx.limits.editWindowSeconds * 1000).toISOString();
  if (message.createdAt < editableSince) throw new EditWindowExpiredError(ctx.limits.editWindowSeconds);

  const change = mentionIds === undefined ? undefined : await mentionChange(ctx, chatId, message, mentionIds);

  const edited = await ctx.repo.messages.edit(
    { chatId, seq: message.seq, id, senderId: principal.userId },
    { content, editedAt: now.toISOString(), editableSince, ...(change ? { mentions: change.mentions } : {}) },
  );
  if (!edited) throw new ConflictError('The message was deleted meanwhile.');
  const blockers = moderation.blockedBy;
  // Newly mentioned and not read yet: they count it and may be notified (see above).
  const counted = change ? countedMentions(change.added, principal.userId, blockers).filter((u) => (change.lastReadSeq.get(u) ?? Infinity) < edited.seq) : [];
  const uncounted = change ? change.removed.filter((u) => u !== principal.userId) : [];
  const [audience] = await Promise.all([
    ridePreview(ctx, chat, previewOf(edited)),
    // Before the event goes out, so a client reading the chat on `message.edited` sees the new count.
    counted.length > 0 ? ctx.repo.memberships.addMention(chatId, counted, edited.seq).catch(() => undefined) : undefined,
    ...uncounted.map((u) => ctx.repo.memberships.dropMentions(chatId, u, [edited.seq]).catch(() => undefined)),
  ]);
  const [view, quoted] = await Promise.all([markersOf(ctx, chatId).then((m) => presentMessage(ctx, edited, m)), replyBlockers(ctx, principal, edited.replyTo?.senderId, moderation)]);
  const notice = counted.length > 0 ? offlineNotice(ctx, principal, chat, edited) : undefined;
  const hide = hidingOf(blockers, quoted);
  await ctx.notifier.toChat(
    audience,
    { type: 'message.edited', chatId, message: view, at: edited.editedAt ?? now.toISOString() },
    {
      ...(hide ? { hide } : {}),
      ...(notice ? { offline: { ...notice, recipients: counted, lastSeq: chat.lastSeq } } : {}),
    },
  );
  return { message: view };
}

/**
 * The mentions an edit sets (SPEC §5: ≤ 20, without duplicates, in the
 * order given), the participants it adds (each a current participant, else
 * 400; with their `lastReadSeq`) and the ones it removes.
 */
async function mentionChange(ctx: DomainContext, chatId: string, message: MessageRecord, mentionIds: readonly string[]) {
  const mentions = [...new Set(mentionIds)];
  if (mentions.length > MAX_MENTIONS) throw new BadRequestError(`A message mentions at most ${MAX_MENTIONS} participants.`);
  const before = new Set(message.mentions ?? []);
  const added = mentions.filter((u) => !before.has(u));
  const removed = [...before].filter((u) => !mentions.includes(u));
  const members = added.length > 0 ? await ctx.repo.memberships.getMany(chatId, added) : [];
  const lastReadSeq = new Map(members.map((m) => [m.userId, m.lastReadSeq]));
  const outsiders = added.filter((u) => !lastReadSeq.has(u));
  if (outsiders.length > 0) throw new BadRequestError(`Mentions must be participants of the chat: ${outsiders.join(', ')}.`);
  return { mentions, added, removed, lastReadSeq };
}

/**
 * A deleted message no longer counts in anyone's `unreadMentions` (SPEC
 * §3: its `mentions` are gone with its content): one UpdateItem per
 * mentioned participant, removing the seq from their number set (so the
 * count never goes below 0, and a repeat changes nothing). Best effort
 * after the delete; also the erasure's (SPEC §10).
 */
export async function forgetMentions(ctx: DomainContext, message: Pick<MessageRecord, 'chatId' | 'seq' | 'senderId' | 'mentions'>): Promise<void> {
  const mentioned = (message.mentions ?? []).filter((u) => u !== message.senderId);
  await Promise.all(mentioned.map((u) => ctx.repo.memberships.dropMentions(message.chatId, u, [message.seq]).catch(() => undefined)));
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
  const [, audience] = await Promise.all([
    // Deleting the objects also ends download URLs handed out before the delete.
    ctx.storage.remove((message.attachments ?? []).map((a) => a.key)),
    ridePreview(ctx, chat, previewOf(deleted)),
    // Before the event, so a client reading its counts on `message.deleted` sees the mention gone.
    forgetMentions(ctx, message),
  ]);
  await Promise.all([
    ctx.notifier.toChat(audience, { type: 'message.deleted', chatId, messageId: id, seq: deleted.seq, at: deleted.deletedAt }),
    // Another user's message deleted by platform role (not as the group's owner/admin) is a moderation act.
    message.senderId !== principal.userId && isAdmin(principal) && !managesGroup(chat, membership)
      ? recordAudit(ctx, principal, AUDIT_ACTIONS.messageDeleted, { type: 'message', id, chatId }, { senderId: message.senderId, seq: message.seq })
      : undefined,
  ]);
  return { message: await presentMessage(ctx, deleted, await markersOf(ctx, chatId)) };
}

/**
 * After an edit or delete: when the message is the chat's `lastMessage`,
 * replaces the preview and, in the same UpdateItem, moves the sync head
 * (`ChatStore.replacePreview` with a head), so the change log writes no head
 * of its own (`change-log.ts`: the ride). Answers the audience to emit to:
 * the chat with the head as that write left it, or the chat as read when
 * nothing was written (an older message, or a send got there first), in
 * which case the change log decides about the head as for any change.
 */
async function ridePreview(ctx: DomainContext, chat: ChatRecord, preview: MessagePreview): Promise<ChatRecord> {
  if (chat.lastMessage?.id !== preview.id) return chat;
  const out = await ctx.repo.chats.replacePreview(chat.id, preview, ctx.now().toISOString());
  return out.replaced && out.changedAt ? { ...chat, changedAt: out.changedAt } : chat;
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
  // SPEC §9: whom the caller blocks (one GetItem, in the access check's round trip): their messages are placeholders.
  const [{ chat }, blocking] = await Promise.all([requireReader(ctx, principal, chatId), blockedByViewer(ctx, principal)]);
  const forward = input.after !== undefined;
  let messages: MessageRecord[];
  let hasMore: boolean;
  let cursor: number | undefined;
  if (input.q === undefined) {
    ({ messages, hasMore } = await ctx.repo.messages.page(chatId, { before: input.before, after: input.after, limit: input.limit }));
    ({ messages, hasMore } = await healGaps(ctx, chat, input, messages, hasMore));
    const edge = forward ? messages.at(-1) : messages[0];
    cursor = edge?.seq;
  } else {
    ({ messages, hasMore, cursor } = await search(ctx, chatId, input.q, input));
  }
  const markers = messages.length > 0 ? await markersOf(ctx, chatId) : new Map<string, number>();
  return {
    messages: (await presentMessages(ctx, messages, markers)).map((m) => viewFor(m, blocking)),
    hasMore,
    nextCursor: hasMore && cursor !== undefined ? String(cursor) : null,
  };
}

/**
 * A seq allocated this long ago (ms) without its message will never get one:
 * a send allocates and puts within one function run, and functions stop
 * after 30 s (API Gateway's integration timeout, enforced in
 * `lib/chat-function.ts`). Twice that, measured from the creation of a later
 * message (whose allocation came after the missing one's) or of the chat's
 * latest allocation, plus a margin for clock skew between functions.
 */
export const GAP_HEAL_AFTER_MS = 120_000;
/** A page heals at most this many missing seqs (a chat where many are missing is not a crash gap). */
const MAX_HEALED_PER_PAGE = 10;
/** The sender recorded on a placeholder whose sender is unknown (a mid-chat gap): the server itself. */
export const GAP_SENDER = 'system';

/**
 * Fills the seqs a history page should contain but that hold no message:
 * the traces of sends that died between allocating a seq and storing it
 * (`storeAtNextSeq`). Each becomes the deleted placeholder `fillGap` writes
 * (once its sender cannot be running any more: `GAP_HEAL_AFTER_MS`), so the
 * stored messages agree with `lastSeq` and with unread counts (`lastSeq -
 * lastReadSeq`, which count every seq) and clients see a contiguous run.
 * The placeholders are part of this page. A read writes only when such a gap
 * exists: never in normal operation.
 */
async function healGaps(ctx: DomainContext, chat: ChatRecord, input: ListMessagesInput, messages: MessageRecord[], hasMore: boolean) {
  if (messages.length === 0 && chat.lastSeq === 0) return { messages, hasMore };
  const forward = input.after !== undefined;
  // The seqs this page covers: up to its last message when more follow, else up to the chat's latest seq.
  const top = forward ? (hasMore ? messages.at(-1)!.seq : chat.lastSeq) : Math.min(chat.lastSeq, (input.before ?? Infinity) - 1);
  const bottom = forward ? input.after! + 1 : hasMore ? messages[0].seq : 1;
  const have = new Set(messages.map((m) => m.seq));
  const missing: number[] = [];
  // At most |page| + MAX + 1 steps: the walk stops once more seqs are missing than a crash leaves.
  for (let seq = top; seq >= bottom && missing.length <= MAX_HEALED_PER_PAGE; seq--) if (!have.has(seq)) missing.push(seq);
  if (missing.length === 0 || missing.length > MAX_HEALED_PER_PAGE) return { messages, hasMore };
  const now = ctx.now().getTime();
  const ordered = [...messages].sort((a, b) => a.seq - b.seq);
  const healed: MessageRecord[] = [];
  for (const seq of missing) {
    // The latest allocation is the chat's lastMessage: its id, sender and time are known.
    const allocated = chat.lastMessage?.seq === seq ? chat.lastMessage : undefined;
    const after = ordered.find((m) => m.seq > seq);
    const since = allocated?.createdAt ?? after?.createdAt ?? chat.lastActivityAt;
    if (now - Date.parse(since) < GAP_HEAL_AFTER_MS) continue;
    const at = { id: allocated?.id ?? messageId(ctx.newId(), seq), chatId: chat.id, seq, senderId: allocated?.senderId ?? GAP_SENDER, createdAt: since };
    await fillGap(ctx, at);
    const stored = await ctx.repo.messages.get(chat.id, seq, true);
    if (stored) healed.push(stored);
  }
  if (healed.length === 0) return { messages, hasMore };
  const merged = [...ordered, ...healed].sort((a, b) => a.seq - b.seq);
  if (merged.length <= input.limit) return { messages: merged, hasMore };
  return { messages: forward ? merged.slice(0, input.limit) : merged.slice(-input.limit), hasMore: true };
}

/**
 * Matches by the stored text. A blocked sender's match reaches the caller as
 * its placeholder (SPEC §9: "in search" too; `listMessages` applies
 * `viewFor`), so the results show where it is, never its content.
 */
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
      marker.moved ? ctx.notifier.toChat(chat, { type: 'messages.read', chatId, userId: principal.userId, lastReadSeq, readAt, at: readAt }) : undefined,
    ]);
  }
  return { lastReadSeq, unreadCount: unreadCount(chat, { ...membership, lastReadSeq }) };
}
