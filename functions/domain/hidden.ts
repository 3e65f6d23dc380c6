/**
 * SPEC §9: what a blocker sees of the user they block in groups and support
 * chats. Pure view functions, applied to every answer and event a blocker
 * receives: live events (`lib/delivery.ts`), message lists and search, sync,
 * and reply previews.
 *
 * A hidden message keeps its place: `{id, chatId, seq, senderId, hidden:
 * true, content: "", attachments: []}` (plus the fields every message has,
 * empty), so seq stays contiguous and a client can show "Message from a
 * blocked user". A reply quoting a blocked user's message shows `preview:
 * ""` and `hidden: true`.
 */
import type { MessageT } from '../schemas';
import type { EventInput, HiddenFrom } from './ports';

/** The placeholder of `message` (SPEC §9). */
export function hiddenMessage(message: MessageT): MessageT {
  return {
    id: message.id,
    chatId: message.chatId,
    seq: message.seq,
    senderId: message.senderId,
    type: message.type,
    content: '',
    attachments: [],
    reactions: {},
    mentions: [],
    createdAt: message.createdAt,
    ...(message.deletedAt ? { deletedAt: message.deletedAt } : {}),
    hidden: true,
    readBy: 0,
  };
}

/** `replyTo` with the quoted text hidden. */
function hiddenReply(message: MessageT): MessageT {
  if (!message.replyTo) return message;
  const { id, seq, senderId } = message.replyTo;
  return { ...message, replyTo: { id, seq, senderId, preview: '', hidden: true } };
}

/**
 * A message as a viewer who blocks the users in `blocking` sees it: a
 * placeholder when they block its sender, its reply preview hidden when
 * they block the quoted message's sender, else unchanged.
 */
export function viewFor(message: MessageT, blocking: ReadonlySet<string>): MessageT {
  if (blocking.size === 0) return message;
  if (blocking.has(message.senderId)) return hiddenMessage(message);
  if (message.replyTo && blocking.has(message.replyTo.senderId)) return hiddenReply(message);
  return message;
}

/** What to hide from one group of recipients of an event. */
export interface Hiding {
  /** The recipients block the message's sender: placeholders, and no `typing` from them. */
  sender?: boolean;
  /** The recipients block the sender of the message a reply quotes: its preview is hidden. */
  reply?: boolean;
}

/**
 * The events as recipients with `hiding` see them: message events carry
 * placeholders (or hidden reply previews), `typing` from a blocked user is
 * dropped; every other event is unchanged.
 */
export function hideEvents(events: readonly EventInput[], hiding: Hiding): EventInput[] {
  const out: EventInput[] = [];
  for (const event of events) {
    if (event.type === 'typing' && hiding.sender) continue;
    if (event.type === 'message.new' || event.type === 'message.edited') {
      const message = hiding.sender ? hiddenMessage(event.message) : hiding.reply ? hiddenReply(event.message) : event.message;
      out.push({ ...event, message });
    } else out.push(event);
  }
  return out;
}

/**
 * The audience split by what each recipient may see (SPEC §9): everyone
 * else first, then those who block the quoted message's sender, then those
 * who block the sender (never notified). Without `hide`, one group.
 */
export function hidingGroups(audience: readonly string[], job: { event: EventInput | EventInput[]; hide?: HiddenFrom }) {
  const events = Array.isArray(job.event) ? job.event : [job.event];
  const sender = new Set(job.hide?.sender ?? []);
  const reply = new Set(job.hide?.reply ?? []);
  if (sender.size === 0 && reply.size === 0) return [{ userIds: [...audience], events, notify: true }];
  const groups = [
    { userIds: audience.filter((u) => !sender.has(u) && !reply.has(u)), events, notify: true },
    { userIds: audience.filter((u) => !sender.has(u) && reply.has(u)), events: hideEvents(events, { reply: true }), notify: true },
    { userIds: audience.filter((u) => sender.has(u)), events: hideEvents(events, { sender: true }), notify: false },
  ];
  return groups.filter((g) => g.userIds.length > 0);
}
