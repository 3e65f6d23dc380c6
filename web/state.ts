/**
 * The client's rules as pure functions over API resources: ordering, titles,
 * read receipts, unread counts, typing. No DOM and no network, so they are
 * unit-tested (`test/unit/web-state.test.ts`) apart from the page.
 */
import type { Chat, Message, MessagePreview } from '../sdk/src/index';

/**
 * A chat of the list: the API resource; `participants` once `GET /v1/chats/{id}`
 * filled them in; `lastMessage.deleted` once its last message was deleted.
 */
export type ChatEntry = Omit<Chat, 'lastMessage'> & { lastMessage?: MessagePreview };

/** SPEC §6 asks clients to drop a typing indicator after ~6 s without a repeat. */
export const TYPING_EXPIRY_MS = 6_000;

/** Reactions offered on every message: the API's `like` plus a few single emoji. */
export const REACTIONS: readonly { key: string; label: string }[] = [
  { key: 'like', label: '👍' },
  { key: '❤️', label: '❤️' },
  { key: '😂', label: '😂' },
  { key: '🎉', label: '🎉' },
];

/** What the list is ordered by: the last message's time, else the chat's last change (ISO strings compare in time order). */
export function activityAt(chat: ChatEntry): string {
  return chat.lastMessage?.createdAt ?? chat.updatedAt;
}

/** Latest activity first; ties by id so the order is stable. */
export function sortChats(chats: Iterable<ChatEntry>): ChatEntry[] {
  return [...chats].sort((a, b) => activityAt(b).localeCompare(activityAt(a)) || a.id.localeCompare(b.id));
}

/** The other participant of a direct or support chat (for its title and presence dot); undefined for groups or before participants are known. */
export function peerOf(chat: ChatEntry, meId: string): { userId: string; name: string } | undefined {
  if (chat.type === 'group') return undefined;
  return chat.participants?.find((p) => p.userId !== meId);
}

/**
 * Display title: a group's title; a direct chat's other participant; a
 * support chat's subject, prefixed for the agent with who asked.
 */
export function chatTitle(chat: ChatEntry, meId: string): string {
  if (chat.type === 'group') return chat.title ?? 'Group';
  const peer = peerOf(chat, meId);
  if (chat.type === 'direct') return peer?.name ?? 'Direct chat';
  const requester = chat.participants?.find((p) => p.role === 'member');
  const subject = chat.title ?? 'Support';
  return requester && requester.userId !== meId ? `${subject} · ${requester.name}` : subject;
}

/**
 * The list entry after a `message.new` (live or caught up). Idempotent: a
 * message at or below the known `lastSeq` changes nothing, so a repeated
 * event never counts twice.
 *
 * - Our own message: the server moved our read marker to it (SPEC §3).
 * - `viewing` (the chat is open and visible): no badge, but the read marker
 *   stays where the server has it, so the conversation still sees the
 *   message as unread and marks it read (whose answer moves the marker).
 * - Otherwise: one more unread.
 */
export function withMessage(chat: ChatEntry, message: Message, meId: string, viewing: boolean): ChatEntry {
  if (message.seq <= chat.lastSeq) return chat;
  const preview: MessagePreview = { id: message.id, seq: message.seq, senderId: message.senderId, type: message.type, content: message.deletedAt ? '' : previewText(message), createdAt: message.createdAt, ...(message.deletedAt ? { deleted: true as const } : {}) };
  const mine = message.senderId === meId;
  return {
    ...chat,
    lastSeq: message.seq,
    lastMessage: preview,
    lastReadSeq: mine ? message.seq : chat.lastReadSeq,
    unreadCount: mine || viewing ? 0 : chat.unreadCount + 1,
    unreadMentions: mine || viewing ? 0 : (chat.unreadMentions ?? 0) + (message.mentions?.includes(meId) ? 1 : 0),
  };
}

/** SPEC §8 levels, in the order the menu shows them. */
export const NOTIFICATION_LEVELS = [
  { value: 'all', label: 'All messages' },
  { value: 'mentions', label: 'Mentions only' },
  { value: 'none', label: 'Nothing' },
] as const;

/**
 * The @-mention being typed at the caret: `@` at the start or after a space,
 * then the name typed so far (no space). Undefined when the caret is not in one.
 */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | undefined {
  const before = text.slice(0, caret);
  const match = /(^|\s)@([^\s@]*)$/.exec(before);
  return match ? { start: caret - match[2].length - 1, query: match[2] } : undefined;
}

/** Participants (not the caller) whose name or id starts with `query`, case-insensitively; at most `limit`. */
export function mentionCandidates(chat: ChatEntry, meId: string, query: string, limit = 5): { userId: string; name: string }[] {
  const q = query.toLocaleLowerCase();
  return (chat.participants ?? [])
    .filter((p) => p.userId !== meId && (p.name.toLocaleLowerCase().startsWith(q) || p.userId.toLocaleLowerCase().startsWith(q)))
    .sort((a, b) => a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((p) => ({ userId: p.userId, name: p.name }));
}

/** The ids of the picked mentions whose `@Name` is still in the text (the user may have deleted one). */
export function mentionsIn(text: string, picked: ReadonlyMap<string, string>): string[] {
  return [...picked].filter(([, name]) => text.includes(`@${name}`)).map(([userId]) => userId);
}

/** The message content split into plain text and `@Name` mentions of the given people, for highlighting. */
export function mentionSegments(content: string, names: readonly string[]): { text: string; mention: boolean }[] {
  const wanted = [...new Set(names)].filter(Boolean).sort((a, b) => b.length - a.length);
  if (wanted.length === 0) return [{ text: content, mention: false }];
  const escaped = wanted.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const parts: { text: string; mention: boolean }[] = [];
  let last = 0;
  for (const match of content.matchAll(new RegExp(`@(?:${escaped.join('|')})`, 'g'))) {
    if (match.index! > last) parts.push({ text: content.slice(last, match.index), mention: false });
    parts.push({ text: match[0], mention: true });
    last = match.index! + match[0].length;
  }
  if (last < content.length) parts.push({ text: content.slice(last), mention: false });
  return parts;
}

/**
 * The list entry after an edit or delete (live or synced): the preview
 * follows when the changed message is the chat's last one. `change`: the
 * edited message, or `{id, deleted: true}` for a delete. Unchanged chats are
 * returned as they are.
 */
export function withChangedMessage(chat: ChatEntry, change: Message | { id: string; deleted: true }): ChatEntry {
  const last = chat.lastMessage;
  if (!last || last.id !== change.id || last.deleted) return chat;
  if ('deleted' in change) return { ...chat, lastMessage: { ...last, content: '', deleted: true } };
  if (change.deletedAt) return { ...chat, lastMessage: { ...last, content: '', deleted: true } };
  return { ...chat, lastMessage: { ...last, content: previewText(change) } };
}

/**
 * The chat list's line for its last message: "Message deleted" for a
 * deleted one (never its old text or an attachment icon), the text, or 📎
 * for an attachment-only message (the list preview carries no file names).
 */
export function listPreview(last: MessagePreview): string {
  if (last.deleted) return 'Message deleted';
  return last.content || '📎';
}

/** The list's one-line preview of a message. */
export function previewText(message: Pick<Message, 'content' | 'attachments' | 'deletedAt'>): string {
  if (message.deletedAt) return 'Message deleted';
  if (message.content) return message.content.slice(0, 100);
  return message.attachments.length ? `📎 ${message.attachments.map((a) => a.filename).join(', ')}` : '';
}

/**
 * Inserts or replaces `message` in a list ordered by seq (SPEC: seq is the
 * order of record; events may arrive out of order). Returns a new array.
 */
export function upsertMessage(messages: readonly Message[], message: Message): Message[] {
  const next = messages.filter((m) => m.id !== message.id);
  let index = next.length;
  while (index > 0 && next[index - 1].seq > message.seq) index--;
  next.splice(index, 0, message);
  return next;
}

/**
 * Read receipt of a message: `undefined` for others' messages, `read` (✓✓)
 * once at least one other participant read it, else `sent` (✓).
 * `markers`: the newest `lastReadSeq` seen per other user from
 * `messages.read` events; `readBy` from the last fetch covers the rest.
 */
export function receipt(message: Message, meId: string, markers: ReadonlyMap<string, number>): 'sent' | 'read' | undefined {
  if (message.senderId !== meId || message.type === 'system') return undefined;
  if (message.readBy > 0) return 'read';
  for (const [userId, seq] of markers) if (userId !== meId && seq >= message.seq) return 'read';
  return 'sent';
}

/** Reactions as chips: known ones first in {@link REACTIONS} order, then any others; only those with at least one user. */
export function reactionChips(message: Message, meId: string): { key: string; label: string; count: number; mine: boolean }[] {
  const known = new Map(REACTIONS.map((r) => [r.key, r.label]));
  const keys = Object.keys(message.reactions).sort((a, b) => order(a) - order(b));
  return keys
    .map((key) => {
      const users = message.reactions[key] ?? [];
      return { key, label: known.get(key) ?? (key === 'dislike' ? '👎' : key), count: users.length, mine: users.includes(meId) };
    })
    .filter((chip) => chip.count > 0);

  function order(key: string) {
    const index = REACTIONS.findIndex((r) => r.key === key);
    return index === -1 ? REACTIONS.length : index;
  }
}

/**
 * Who is typing where. `typing {isTyping:true}` events arrive every ~3 s
 * while someone types; an entry expires {@link TYPING_EXPIRY_MS} after the
 * last one, so a lost `isTyping:false` never leaves the indicator stuck.
 */
export class TypingTracker {
  private readonly until = new Map<string, Map<string, number>>();

  /** Records an event; `now` in epoch ms. */
  set(chatId: string, userId: string, isTyping: boolean, now: number): void {
    let users = this.until.get(chatId);
    if (!users) this.until.set(chatId, (users = new Map()));
    if (isTyping) users.set(userId, now + TYPING_EXPIRY_MS);
    else users.delete(userId);
  }

  /** A message from someone ends their typing (their client may stop before its `isTyping:false` arrives). */
  clear(chatId: string, userId: string): void {
    this.until.get(chatId)?.delete(userId);
  }

  /** Ids typing in the chat at `now`, in the order they started. */
  typing(chatId: string, now: number): string[] {
    const users = this.until.get(chatId);
    if (!users) return [];
    return [...users].filter(([, until]) => until > now).map(([userId]) => userId);
  }
}

/** `Bob is typing…`, `Bob and Carol are typing…`, `3 people are typing…`; empty when nobody is. */
export function typingText(names: readonly string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}

/** Parses `bob, carol  dave` into ids: separated by commas or whitespace, empty parts and repeats dropped. */
export function parseUserIds(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

// ---------------------------------------------------------------- days

const pad = (n: number) => String(n).padStart(2, '0');

/** The local calendar day of an ISO time, `YYYY-MM-DD` (the browser's time zone). */
export function dayKey(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A date separator's text: `Today`, `Yesterday`, else the weekday and date in the browser's locale. */
export function dayLabel(iso: string, now = new Date()): string {
  const key = dayKey(iso);
  if (key === dayKey(now.toISOString())) return 'Today';
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (key === dayKey(yesterday.toISOString())) return 'Yesterday';
  const date = new Date(iso);
  return date.toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: date.getFullYear() === now.getFullYear() ? undefined : 'numeric' });
}

export type TimelineItem = { kind: 'day'; key: string; label: string } | { kind: 'message'; message: Message };

/** The messages (ordered by seq) with a day separator before the first message of each local day. */
export function withDaySeparators(messages: readonly Message[], now = new Date()): TimelineItem[] {
  const items: TimelineItem[] = [];
  let day: string | undefined;
  for (const message of messages) {
    const key = dayKey(message.createdAt);
    if (key !== day) items.push({ kind: 'day', key, label: dayLabel(message.createdAt, now) });
    day = key;
    items.push({ kind: 'message', message });
  }
  return items;
}

// ---------------------------------------------------------------- who may do what (mirrors the server's rules, which decide)

type Roles = readonly string[];

/** The caller's role in a chat (`owner`, `admin`, `member`, `agent`), once participants are known. */
export function roleIn(chat: ChatEntry, userId: string): string | undefined {
  return chat.participants?.find((p) => p.userId === userId)?.role;
}

/** Support agents and platform admins: they work the support queue and set support statuses. */
export function isAgent(roles: Roles): boolean {
  return roles.includes('support') || roles.includes('admin');
}

/** Group owners and group admins (and platform admins) add members and rename the group. */
export function canManageGroup(chat: ChatEntry, meId: string, roles: Roles): boolean {
  if (chat.type !== 'group') return false;
  const role = roleIn(chat, meId);
  return role === 'owner' || role === 'admin' || roles.includes('admin');
}

/** The owner removes anyone, group admins remove members, platform admins anyone; nobody removes themselves here (that is "Leave"). */
export function canRemoveMember(chat: ChatEntry, meId: string, roles: Roles, target: { userId: string; role: string }): boolean {
  if (chat.type !== 'group' || target.userId === meId) return false;
  const role = roleIn(chat, meId);
  if (role === 'owner' || roles.includes('admin')) return true;
  return role === 'admin' && target.role === 'member';
}

/** A support chat's statuses, in the order an agent moves through them. */
export const SUPPORT_STATUSES = ['open', 'waiting', 'resolved', 'closed'] as const;

/** Names of the agents in a support chat (the requester's "who is helping me"). */
export function helpers(chat: ChatEntry): string[] {
  return (chat.participants ?? []).filter((p) => p.role === 'agent').map((p) => p.name);
}

/** The requester's line for a support chat: who helps them, or that it waits for an agent; always the status. */
export function supportLine(chat: ChatEntry): string {
  const names = helpers(chat);
  const status = chat.status ?? 'open';
  if (names.length === 0) return `Waiting for an agent · ${status}`;
  const who = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return `${who} ${names.length === 1 ? 'is' : 'are'} helping you · ${status}`;
}
