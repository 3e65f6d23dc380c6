/**
 * Domain records → API resources (SPEC §3). Pure functions.
 */
import type { ChatT, MessageT } from '../schemas';
import type { ChatRecord, MembershipRecord, MessagePreview, MessageRecord, PresenceRecord } from './types';

/** Length of `lastMessage.content` and reply previews. */
export const PREVIEW_LENGTH = 100;

export function preview(content: string): string {
  const chars = [...content];
  return chars.length <= PREVIEW_LENGTH ? content : chars.slice(0, PREVIEW_LENGTH).join('');
}

/** SPEC §3: unread = messages after the caller's read marker (the sender's own sends move it). */
export function unreadCount(chat: ChatRecord, membership?: MembershipRecord): number {
  // Retention: once the newest message expired, nothing is left to read (SPEC §10).
  if (lastMessageExpired(chat)) return 0;
  return membership ? Math.max(0, chat.lastSeq - membership.lastReadSeq) : 0;
}

/** SPEC §3: unread messages whose `mentions` include the caller (their membership keeps the seqs). */
export function unreadMentions(membership?: MembershipRecord): number {
  return membership?.mentionSeqs?.filter((seq) => seq > membership.lastReadSeq).length ?? 0;
}

export function chatView(chat: ChatRecord, membership?: MembershipRecord, participants?: ChatT['participants']): ChatT {
  return {
    id: chat.id,
    type: chat.type,
    title: chat.title,
    context: chat.context,
    status: chat.status,
    assigneeId: chat.type === 'support' ? (chat.assigneeId ?? null) : undefined,
    createdBy: chat.createdBy,
    createdAt: chat.createdAt,
    updatedAt: chat.updatedAt,
    lastSeq: chat.lastSeq,
    lastMessage: previewView(chat),
    participants,
    metadata: chat.metadata,
    frozen: chat.frozen ?? false,
    unreadCount: unreadCount(chat, membership),
    unreadMentions: unreadMentions(membership),
    lastReadSeq: membership?.lastReadSeq ?? 0,
    archived: membership?.archived ?? false,
    notificationLevel: membership?.notificationLevel ?? 'all',
  };
}

/**
 * `readBy` (SPEC §3): participants other than the sender whose read marker
 * is at or past the message. Derived at read time from the markers, so
 * reading costs no per-message write.
 */
/**
 * A reply's `replyTo` as clients see it (SPEC §6): the original's current
 * text, first 100 characters; "" with `deleted: true` when the original is
 * deleted or gone. `original` undefined: not found.
 */
export function replyView(replyTo: NonNullable<MessageRecord['replyTo']>, original: MessageRecord | undefined): NonNullable<MessageT['replyTo']> {
  const { id, seq, senderId } = replyTo;
  if (!original || original.id !== id || original.deletedAt) return { id, seq, senderId, preview: '', deleted: true };
  return { id, seq, senderId, preview: preview(original.content) };
}

/**
 * `replyTo` is left out here: it needs the original (see `replyView` and
 * `attachments.ts presentMessages`, which every answer and event goes through).
 */
export function messageView(message: MessageRecord, markers?: ReadonlyMap<string, number>): MessageT {
  let readBy = 0;
  for (const [userId, lastReadSeq] of markers ?? []) {
    if (userId !== message.senderId && lastReadSeq >= message.seq) readBy++;
  }
  return {
    id: message.id,
    chatId: message.chatId,
    seq: message.seq,
    senderId: message.senderId,
    type: message.type,
    content: message.deletedAt ? '' : message.content,
    attachments: [],
    reactions: message.reactions ?? {},
    mentions: message.mentions ?? [],
    pinnedAt: message.pinnedAt,
    pinnedBy: message.pinnedBy,
    clientMessageId: message.clientMessageId,
    metadata: message.metadata,
    createdAt: message.createdAt,
    editedAt: message.editedAt,
    deletedAt: message.deletedAt,
    readBy,
  };
}

/** A chat (view or event payload) without message content: `lastMessage` dropped. */
export function withoutContent<C extends { lastMessage?: unknown }>(chat: C): C {
  const { lastMessage: _content, ...rest } = chat;
  return rest as C;
}

/** A chat's `lastMessage` preview of a message; a deleted one is `content: ""` with `deleted: true` (like `replyTo`). */
export function previewOf(message: MessageRecord): MessagePreview {
  return {
    id: message.id,
    seq: message.seq,
    senderId: message.senderId,
    type: message.type,
    content: message.deletedAt ? '' : preview(message.content),
    createdAt: message.createdAt,
    ...(message.expiresAt ? { expiresAt: message.expiresAt } : {}),
    ...(message.deletedAt ? { deleted: true as const } : {}),
  };
}

/**
 * SPEC §10 retention: the chat's last message has expired (so every message
 * of the chat has: it is the newest). Then the chat shows no preview and
 * nothing unread, though DynamoDB TTL may not have deleted the items yet
 * (it takes up to a few days).
 */
export function lastMessageExpired(chat: Pick<ChatRecord, 'lastMessage'>, nowEpochSeconds = Math.floor(Date.now() / 1000)): boolean {
  const expiresAt = chat.lastMessage?.expiresAt;
  return expiresAt !== undefined && expiresAt <= nowEpochSeconds;
}

/** The stored preview as answered: without its expiry, and absent once expired. */
function previewView(chat: ChatRecord): ChatT['lastMessage'] {
  if (!chat.lastMessage || lastMessageExpired(chat)) return undefined;
  const { expiresAt: _expiry, ...preview } = chat.lastMessage;
  return preview;
}

/** A user is online while any of their connections is unexpired. */
export function isOnline(presence: PresenceRecord | undefined, nowEpochSeconds: number): boolean {
  return presence?.connections.some((c) => c.expiresAt > nowEpochSeconds) ?? false;
}
