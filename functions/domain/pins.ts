/**
 * Pinned messages (SPEC §4, §5): `PUT`/`DELETE
 * /v1/chats/{chatId}/messages/{messageId}/pin`, `GET /v1/chats/{chatId}/pins`.
 *
 * Who may pin or unpin: a group's owner and admins; any participant of a
 * direct or support chat; a platform admin anywhere. Reading pins: every
 * participant and platform admins. At most `MAX_PINS_PER_CHAT` (50) per chat,
 * then 409. Pin and unpin are idempotent (a repeat answers the message and
 * emits nothing); each change emits `message.pinned {chatId, messageId, seq,
 * pinned, pinnedBy, pinnedAt, at}` to every participant. A deleted message
 * cannot be pinned (409); one deleted while pinned stays in the list, as a
 * deleted message, until someone unpins it.
 */
import type { MessageT } from '../schemas';
import { presentMessage, presentMessages } from './attachments';
import { isAdmin, requireReader } from './chats';
import type { DomainContext } from './context';
import { ConflictError, ForbiddenError } from './errors';
import { withSlot } from './limits';
import { findMessage, markersOf } from './messages';
import type { ChatRecord, MembershipRecord, Principal } from './types';

/** SPEC §5: pinned messages per chat. */
export const MAX_PINS_PER_CHAT = 50;

/** SPEC §4: group owner/admin; any participant in direct and support chats; platform admin. */
export function mayPin(principal: Principal, chat: ChatRecord, membership: MembershipRecord | undefined): boolean {
  if (isAdmin(principal)) return true;
  if (!membership) return false;
  return chat.type === 'group' ? membership.role === 'owner' || membership.role === 'admin' : true;
}

/**
 * Pins (`pinned: true`) or unpins a message. Answers the message as it is
 * now. Errors: 404 chat or message not visible, 403 not allowed, 409 deleted
 * or the chat already has 50 pins, 429 past the writes limit.
 */
export async function setPinned(ctx: DomainContext, principal: Principal, chatId: string, messageId: string, pinned: boolean): Promise<{ message: MessageT }> {
  const { chat, membership } = await withSlot(ctx, principal.userId, 'writes', requireReader(ctx, principal, chatId));
  if (!mayPin(principal, chat, membership)) throw new ForbiddenError('Only a group owner or admin may pin messages in a group.');
  const message = await findMessage(ctx, chatId, messageId);
  const target = { chatId, seq: message.seq, id: message.id };
  const at = ctx.now().toISOString();
  let changed: boolean;
  if (pinned) {
    if (message.deletedAt) throw new ConflictError('A deleted message cannot be pinned.');
    const outcome = await ctx.repo.pins.pin(target, { pinnedBy: principal.userId, pinnedAt: at, max: MAX_PINS_PER_CHAT });
    if (outcome === 'full') throw new ConflictError(`A chat has at most ${MAX_PINS_PER_CHAT} pinned messages; unpin one first.`);
    if (outcome === 'missing') throw new ConflictError('The message was deleted meanwhile.');
    changed = outcome === 'pinned';
  } else {
    changed = await ctx.repo.pins.unpin(target);
  }
  const current = await findMessage(ctx, chatId, messageId);
  if (changed) {
    await ctx.notifier.toChat(chat, {
      type: 'message.pinned',
      chatId,
      messageId,
      seq: current.seq,
      pinned,
      pinnedBy: principal.userId,
      pinnedAt: at,
      at,
    });
  }
  return { message: await presentMessage(ctx, current, await markersOf(ctx, chatId)) };
}

/** `GET /v1/chats/{chatId}/pins`: the pinned messages, most recently pinned first (one Query + one BatchGetItem). */
export async function listPins(ctx: DomainContext, principal: Principal, chatId: string): Promise<{ messages: MessageT[]; nextCursor: null }> {
  await requireReader(ctx, principal, chatId);
  const pins = (await ctx.repo.pins.list(chatId)).sort((a, b) => b.pinnedAt.localeCompare(a.pinnedAt) || b.seq - a.seq);
  if (pins.length === 0) return { messages: [], nextCursor: null };
  const records = await ctx.repo.messages.getMany(chatId, pins.map((p) => p.seq));
  const bySeq = new Map(records.map((m) => [m.seq, m]));
  // A pin item written a moment before its message update settles (eventual reads) still shows as pinned.
  const ordered = pins.flatMap((p) => {
    const m = bySeq.get(p.seq);
    return m && m.id === p.messageId ? [{ ...m, pinnedAt: m.pinnedAt ?? p.pinnedAt, pinnedBy: m.pinnedBy ?? p.pinnedBy }] : [];
  });
  return { messages: await presentMessages(ctx, ordered, await markersOf(ctx, chatId)), nextCursor: null };
}
