/**
 * Changes of one message (`message.edited`, `message.deleted`,
 * `reaction.updated`, `message.pinned`) applied to a copy of it: a message
 * held in the ordering buffer, one whose `message.new` arrives after the
 * change (a live change overtook the sync that brings the message), and the
 * `ChatStore`'s copy.
 */
import type { Message } from './generated.js';

type ChangeEvent = { type: string; at?: string; [key: string]: unknown };

/** The event types {@link applyChange} understands. */
export const MESSAGE_CHANGES: ReadonlySet<string> = new Set(['message.edited', 'message.deleted', 'reaction.updated', 'message.pinned']);

/**
 * A change event folded into a copy of its message (held, or arriving after
 * the change). Each change touches its own fields, and the ledger admitted
 * only the newest per field, so the order of folding does not matter; a
 * delete is final (SPEC §3: content "", attachments dropped).
 */
export function applyChange(message: Message, event: ChangeEvent): Message {
  switch (event.type) {
    case 'message.edited': {
      const edited = event.message as Message;
      if (message.deletedAt) return message;
      return { ...message, content: edited.content, editedAt: edited.editedAt, mentions: (edited as { mentions?: string[] }).mentions ?? (message as { mentions?: string[] }).mentions } as Message;
    }
    case 'message.deleted':
      return { ...message, content: '', attachments: [], deletedAt: message.deletedAt ?? event.at ?? new Date().toISOString() };
    case 'reaction.updated':
      return { ...message, reactions: event.reactions as Message['reactions'] };
    case 'message.pinned':
      // `pinnedAt`/`pinnedBy` (SPEC §9) may be newer than this SDK's generated Message type.
      return { ...message, pinnedAt: event.pinned ? event.pinnedAt : undefined, pinnedBy: event.pinned ? event.pinnedBy : undefined } as Message;
    default:
      return message;
  }
}

/**
 * Changes that arrived before their message, by chat and message id; the
 * oldest are forgotten past `capacity` (default 2,000 messages).
 */
export class EarlyChanges {
  private readonly changes = new Map<string, ChangeEvent[]>();
  constructor(private readonly capacity = 2_000) {}

  remember(chatId: string, messageId: string, event: ChangeEvent): void {
    const key = `${chatId}|${messageId}`;
    const list = this.changes.get(key) ?? [];
    this.changes.delete(key);
    this.changes.set(key, [...list, event]);
    if (this.changes.size > this.capacity) this.changes.delete(this.changes.keys().next().value as string);
  }

  /** The message with the changes remembered for it applied (and forgotten). */
  foldInto(chatId: string, message: Message): Message {
    const key = `${chatId}|${message.id}`;
    const list = this.changes.get(key);
    if (!list) return message;
    this.changes.delete(key);
    return list.reduce(applyChange, message);
  }
}
