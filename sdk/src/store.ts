/**
 * `ChatStore`: an optional client-side replica of the caller's chats and of
 * the messages the app loaded, kept current by the socket's events (pass it
 * as `ChatSocket`'s `store` option) — the state a UI renders from. Because
 * the socket emits every event at most once and never an older copy after a
 * newer one (`freshness.ts`), and in seq order per chat (`ordering.ts`), a
 * client that was offline and synced ends with the same store as one that
 * stayed connected (SPEC §7), apart from what events do not carry:
 * presence (`participants[].online`), `readBy` counts and presigned
 * attachment URLs, which a read refreshes.
 *
 * Rules per event (SPEC §3, §6):
 * - `message.new`: stored; the chat's `lastSeq`/`lastMessage` follow; another
 *   user's message above the caller's marker adds one unread; the caller's
 *   own moves their marker to it (`message.new` implies it).
 * - `message.edited`/`message.deleted`/`reaction.updated`/`message.pinned`:
 *   change the stored message and the chat's `lastMessage` preview when it
 *   is that message (a deleted one previews as "" with `deleted: true`).
 * - `messages.read`: per-reader markers; the caller's own moves
 *   `lastReadSeq` and recounts unread from the stored messages.
 * - `chat.created`/`chat.updated`: the chat (an update keeps the caller's
 *   own fields); a copy older than the stored chat (`updatedAt`; a sync's
 *   repeat after the app's read) changes nothing; `participants.added`/`participant.removed`: the member list
 *   (names are the ids until the chat is read again: the socket re-reads it
 *   when it has `api.getChat`); the caller's own removal drops the chat.
 * - `membership.updated`: the caller's `archived` and `notificationLevel`.
 */
import type { Chat, Message, SharedChat } from './generated.js';
import { applyChange } from './message-changes.js';
import { laterMessage } from './ordering.js';

type Participant = NonNullable<Chat['participants']>[number];
/** The list preview of a chat's last message; `deleted` once it was deleted. */
export type MessagePreview = NonNullable<Chat['lastMessage']> & { deleted?: true };
/** A chat as the store keeps it: the API's `Chat` plus the caller's notification level (SPEC §8). */
export type StoredChat = Omit<Chat, 'lastMessage'> & { lastMessage?: MessagePreview; notificationLevel?: string };

type AnyEvent = { type: string; at?: string; [key: string]: unknown };

const PREVIEW_CHARS = 100;

export class ChatStore {
  /** Chats by id. */
  readonly chats = new Map<string, StoredChat>();
  /** Loaded messages by chat id, then message id. */
  readonly messages = new Map<string, Map<string, Message>>();
  /** Other participants' read markers by chat id, then user id (from `messages.read`). */
  readonly markers = new Map<string, Map<string, number>>();

  /** `me`: the caller's user id (their own sends, markers and removal). */
  constructor(readonly me: string) {}

  /** Adds or replaces a chat from an HTTP read (`GET /v1/chats`, `GET /v1/chats/{id}`); a list entry keeps known participants. */
  putChat(chat: Chat | StoredChat): void {
    const known = this.chats.get(chat.id);
    const merged: StoredChat = { ...known, ...chat, participants: chat.participants ?? known?.participants };
    if (known && known.lastSeq > merged.lastSeq) {
      // A read that raced a newer message.new: keep the newer last message.
      merged.lastSeq = known.lastSeq;
      merged.lastMessage = known.lastMessage;
    }
    this.chats.set(chat.id, merged);
  }

  /**
   * Fills in participant names and roles from a chat read that may be older
   * than the events applied since: membership itself stays as the events
   * left it (a read that raced a removal must not bring the member back),
   * unless the store had no member list yet.
   */
  putParticipantDetails(chatId: string, participants: readonly Participant[] | undefined): void {
    const chat = this.chats.get(chatId);
    if (!chat || !participants) return;
    if (!chat.participants) {
      this.chats.set(chatId, { ...chat, participants: [...participants] });
      return;
    }
    const read = new Map(participants.map((p) => [p.userId, p]));
    this.chats.set(chatId, { ...chat, participants: chat.participants.map((p) => ({ ...p, ...read.get(p.userId) })) });
  }

  /** Adds messages from an HTTP read (history page, search hit); a stored later state of one wins. */
  putMessages(chatId: string, messages: readonly Message[]): void {
    const byId = this.messagesOf(chatId);
    for (const message of messages) {
      const known = byId.get(message.id);
      byId.set(message.id, known ? laterMessage(known, message) : message);
    }
  }

  /** A chat's loaded messages in seq order. */
  messageList(chatId: string): Message[] {
    return [...(this.messages.get(chatId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  /** Applies one event the socket emitted. Unknown types are ignored. */
  apply(event: AnyEvent): void {
    const chatId = String(event.chatId ?? '');
    switch (event.type) {
      case 'message.new':
        return this.onMessage(chatId, event.message as Message);
      case 'message.edited':
      case 'message.deleted':
      case 'reaction.updated':
      case 'message.pinned':
        return this.changeMessage(chatId, String(event.messageId ?? (event.message as Message).id), (m) => applyChange(m, event));
      case 'messages.read':
        return this.onRead(chatId, String(event.userId), Number(event.lastReadSeq));
      case 'chat.created':
        return this.onCreated(event.chat as Chat);
      case 'chat.updated':
        return this.onChatUpdated(event.chat as SharedChat);
      case 'participants.added':
        return this.onAdded(chatId, event.userIds as string[], event.at);
      case 'participant.removed':
        return this.onRemoved(chatId, String(event.userId));
      case 'membership.updated': {
        const chat = this.chats.get(chatId);
        if (chat) this.chats.set(chatId, { ...chat, archived: Boolean(event.archived), notificationLevel: event.notificationLevel as Chat['notificationLevel'] });
        return;
      }
      default:
        return;
    }
  }

  /**
   * A plain, ordered copy for comparing two stores (tests, debugging):
   * without presence, `readBy` and attachment URLs, which events do not carry.
   */
  snapshot(): { chats: unknown[]; messages: Record<string, unknown[]> } {
    const chats = [...this.chats.values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map(({ participants, ...chat }) => ({
        ...chat,
        participants: participants?.map(({ online: _online, name: _name, joinedAt: _joinedAt, ...p }) => p).sort((a, b) => a.userId.localeCompare(b.userId)),
      }));
    const messages: Record<string, unknown[]> = {};
    for (const chatId of [...this.messages.keys()].sort()) {
      if (!this.chats.has(chatId)) continue;
      messages[chatId] = this.messageList(chatId).map(({ readBy: _readBy, attachments, ...m }) => ({ ...m, attachments: attachments.map(({ url: _url, urlExpiresAt: _exp, ...a }) => a) }));
    }
    return { chats, messages };
  }

  // ------------------------------------------------------------------ internals

  private messagesOf(chatId: string): Map<string, Message> {
    let byId = this.messages.get(chatId);
    if (!byId) this.messages.set(chatId, (byId = new Map()));
    return byId;
  }

  private onMessage(chatId: string, message: Message) {
    const byId = this.messagesOf(chatId);
    const known = byId.get(message.id);
    byId.set(message.id, known ? laterMessage(known, message) : message);
    const chat = this.chats.get(chatId);
    if (!chat || known) return;
    const next: StoredChat = { ...chat };
    if (message.seq > chat.lastSeq) {
      next.lastSeq = message.seq;
      next.lastMessage = preview(message);
    }
    if (message.senderId === this.me) {
      next.lastReadSeq = Math.max(chat.lastReadSeq, message.seq);
      next.unreadCount = this.unreadAbove(chatId, next.lastReadSeq, chat.unreadCount, next.lastSeq);
    } else if (message.seq > chat.lastReadSeq) {
      next.unreadCount = chat.unreadCount + 1;
    }
    this.chats.set(chatId, next);
  }

  private changeMessage(chatId: string, messageId: string, change: (message: Message) => Message) {
    const byId = this.messages.get(chatId);
    const known = byId?.get(messageId);
    if (byId && known) byId.set(messageId, change(known));
    const chat = this.chats.get(chatId);
    const updated = byId?.get(messageId);
    if (chat?.lastMessage?.id === messageId) {
      // The preview follows edits and deletes even when the message itself is not loaded.
      const base = updated ?? ({ ...chat.lastMessage, attachments: [], reactions: {}, readBy: 0, chatId } as unknown as Message);
      const changed = updated ?? change(base);
      this.chats.set(chatId, { ...chat, lastMessage: preview(changed) });
    }
  }

  private onRead(chatId: string, userId: string, lastReadSeq: number) {
    if (userId !== this.me) {
      let readers = this.markers.get(chatId);
      if (!readers) this.markers.set(chatId, (readers = new Map()));
      readers.set(userId, Math.max(readers.get(userId) ?? 0, lastReadSeq));
      return;
    }
    const chat = this.chats.get(chatId);
    if (!chat || lastReadSeq <= chat.lastReadSeq) return;
    this.chats.set(chatId, { ...chat, lastReadSeq, unreadCount: this.unreadAbove(chatId, lastReadSeq, chat.unreadCount, chat.lastSeq) });
  }

  /** Others' messages above `lastReadSeq` among the stored ones (0 once everything is read). */
  private unreadAbove(chatId: string, lastReadSeq: number, fallback: number, lastSeq: number): number {
    if (lastReadSeq >= lastSeq) return 0;
    const stored = [...(this.messages.get(chatId)?.values() ?? [])].filter((m) => m.seq > lastReadSeq);
    // Without every message above the marker loaded, the count cannot be known here: keep the last one.
    if (stored.length < lastSeq - lastReadSeq) return Math.min(fallback, lastSeq - lastReadSeq);
    return stored.filter((m) => m.senderId !== this.me).length;
  }

  /**
   * A `chat.created` for a chat the store already holds at the same or a
   * later `updatedAt` is a repeat: a sync replays the few seconds before its
   * cursor (SPEC §7), so the chat's creation can come again after the app
   * read the chat. Its caller fields (`unreadCount`, `lastReadSeq`) are
   * those of the moment it was created, and the `message.new` repeats after
   * it change nothing (already stored), so applying it would leave the chat
   * older than the server's. A caller removed and added again is not in the
   * store (the removal dropped the chat), so their new `chat.created` applies.
   */
  private onCreated(chat: Chat) {
    const known = this.chats.get(chat.id);
    if (known && known.updatedAt >= chat.updatedAt) return;
    this.putChat(chat);
  }

  private onChatUpdated(shared: SharedChat) {
    const known = this.chats.get(shared.id);
    if (!known) return; // not a chat of ours yet: chat.created or a read brings it with the caller's fields
    // An older copy than the stored chat (a sync's repeat of a change the app's read already showed) changes nothing.
    if (shared.updatedAt && known.updatedAt > shared.updatedAt) return;
    const next: StoredChat = { ...known, ...shared, participants: shared.participants ?? known.participants, unreadCount: known.unreadCount, lastReadSeq: known.lastReadSeq, archived: known.archived };
    if (known.lastSeq > next.lastSeq) {
      next.lastSeq = known.lastSeq;
      next.lastMessage = known.lastMessage;
    } else if (known.lastMessage && next.lastMessage && known.lastMessage.id === next.lastMessage.id && known.lastMessage.deleted) {
      next.lastMessage = known.lastMessage; // a delete is final
    }
    this.chats.set(shared.id, next);
  }

  private onAdded(chatId: string, userIds: readonly string[], at: string | undefined) {
    const chat = this.chats.get(chatId);
    if (!chat?.participants) return;
    const have = new Set(chat.participants.map((p) => p.userId));
    const added: Participant[] = userIds.filter((id) => !have.has(id)).map((userId) => ({ userId, name: userId, role: 'member', joinedAt: at ?? new Date().toISOString(), online: false }));
    if (added.length) this.chats.set(chatId, { ...chat, participants: [...chat.participants, ...added] });
  }

  private onRemoved(chatId: string, userId: string) {
    if (userId === this.me) {
      this.chats.delete(chatId);
      this.messages.delete(chatId);
      this.markers.delete(chatId);
      return;
    }
    const chat = this.chats.get(chatId);
    if (chat?.participants) this.chats.set(chatId, { ...chat, participants: chat.participants.filter((p) => p.userId !== userId) });
    this.markers.get(chatId)?.delete(userId);
  }
}

/** A message as the chat list previews it (SPEC §3 `lastMessage`: the first 100 characters). */
export function preview(message: Message): MessagePreview {
  const base: MessagePreview = { id: message.id, seq: message.seq, senderId: message.senderId, type: message.type, content: message.deletedAt ? '' : message.content.slice(0, PREVIEW_CHARS), createdAt: message.createdAt };
  return message.deletedAt ? { ...base, deleted: true } : base;
}
