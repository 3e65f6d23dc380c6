/**
 * Offline notifications (SPEC §8): who is notified about a stored message,
 * coalesced per recipient and chat, and the per-chat notification level.
 *
 * The rule (`notificationDecision`): a participant other than the sender
 * with no open connection is notified when their level is `all` (or
 * `mentions` and the message mentions them), they have not blocked the
 * sender, and either the message mentions them or they have caught up since
 * their last notification about this chat: their `lastReadSeq` reached the
 * notified seq, or they connected again after it (presence `lastSeenAt`,
 * stamped when a connection closes, is later than `notifiedAt`). So a
 * conversation burst costs one notification per offline recipient, not one
 * per message.
 *
 * Cost per message with F offline recipients: ⌈F/100⌉ BatchGetItem of their
 * memberships (the presence items were already read by the fan-out), and
 * one conditional UpdateItem (`notifiedSeq`, 1 WCU) per recipient newly
 * notified. The condition makes the rule exact under concurrent sends: of
 * two sends that both read "not notified", only one write succeeds, and
 * only a successful write publishes.
 */
import type { ChatT } from '../schemas';
import { chatWithParticipants, requireParticipant } from './chats';
import type { DomainContext } from './context';
import { chatNotFound } from './errors';
import { withSlot } from './limits';
import type { OfflineNotice, OfflineNotification, OfflinePublisher, Repository } from './ports';
import type { MembershipRecord, NotificationLevel, Principal } from './types';

export const DEFAULT_LEVEL: NotificationLevel = 'all';

export type NotificationDecision = 'notify' | 'not-a-member' | 'level' | 'blocked' | 'coalesced';

/**
 * Whether one offline recipient is notified about one message (SPEC §8).
 * Pure: `membership` is the recipient's (undefined once they left),
 * `lastSeenAt` their presence's, `mentioned` whether the message mentions
 * them, `blocked` whether they blocked the sender.
 */
export function notificationDecision(input: {
  membership: Pick<MembershipRecord, 'lastReadSeq' | 'notificationLevel' | 'notifiedSeq' | 'notifiedAt'> | undefined;
  lastSeenAt?: string;
  mentioned: boolean;
  blocked: boolean;
}): NotificationDecision {
  const { membership: m, mentioned } = input;
  if (!m) return 'not-a-member';
  const level = m.notificationLevel ?? DEFAULT_LEVEL;
  if (level === 'none' || (level === 'mentions' && !mentioned)) return 'level';
  if (input.blocked) return 'blocked';
  if (mentioned || caughtUp(m, input.lastSeenAt)) return 'notify';
  return 'coalesced';
}

/** Caught up since the last notification: never notified, read up to it, or connected again after it. */
function caughtUp(m: Pick<MembershipRecord, 'lastReadSeq' | 'notifiedSeq' | 'notifiedAt'>, lastSeenAt: string | undefined): boolean {
  if (m.notifiedSeq === undefined) return true;
  if (m.lastReadSeq >= m.notifiedSeq) return true;
  return lastSeenAt !== undefined && m.notifiedAt !== undefined && lastSeenAt > m.notifiedAt;
}

/** What `notifyOffline` needs: the stores, the bus and the clock. */
export interface OfflineDeps {
  repo: Repository;
  offline: OfflinePublisher;
  now: () => Date;
}

/**
 * Notifies the offline recipients of one message that the rule lets
 * through, and answers the notifications published. `offline` are the
 * participants without an open connection (the sender excluded here), with
 * their presence's `lastSeenAt`. `blockers` are the users who block the
 * sender (SPEC §9: never notified, mentioned or not): the delivery passes
 * the `hide.sender` list the send or edit read from the sender's own
 * moderation item (`ModerationState.blockedBy`), so knowing them costs no
 * read per recipient. This is the one place blocks silence notifications.
 * Never throws: the message is stored.
 */
export async function notifyOffline(
  deps: OfflineDeps,
  chatId: string,
  offline: readonly { userId: string; lastSeenAt?: string }[],
  notice: OfflineNotice,
  blockers: ReadonlySet<string> = new Set(),
): Promise<OfflineNotification[]> {
  const only = notice.recipients ? new Set(notice.recipients) : undefined;
  const recipients = offline.filter((o) => o.userId !== notice.senderId && (!only || only.has(o.userId)));
  if (recipients.length === 0) return [];
  const ids = recipients.map((r) => r.userId);
  const memberships = await deps.repo.memberships.getMany(chatId, ids);
  const blocked = blockers;
  const byUser = new Map(memberships.map((m) => [m.userId, m]));
  const mentions = new Set(notice.mentions ?? []);
  const at = deps.now().toISOString();
  const notified = await Promise.all(
    recipients.map(async ({ userId, lastSeenAt }): Promise<OfflineNotification | undefined> => {
      const membership = byUser.get(userId);
      const mentioned = mentions.has(userId);
      if (notificationDecision({ membership, lastSeenAt, mentioned, blocked: blocked.has(userId) }) !== 'notify') return undefined;
      const won = await deps.repo.memberships.markNotified(chatId, userId, { seq: notice.seq, at, expected: membership!.notifiedSeq, mention: mentioned });
      if (!won) return undefined;
      return {
        recipientId: userId,
        chatId,
        chatTitle: notice.chatTitle,
        messageId: notice.messageId,
        seq: notice.seq,
        senderId: notice.senderId,
        senderName: notice.senderName,
        preview: notice.preview,
        mentioned,
        // The recipient's own sends move their marker, so everything after it is from others.
        unreadCount: Math.max(1, Math.max(notice.seq, notice.lastSeq ?? 0) - membership!.lastReadSeq),
      };
    }),
  );
  const published = notified.filter((n): n is OfflineNotification => n !== undefined).map(withoutAbsent);
  if (published.length > 0) await deps.offline.publish(published);
  return published;
}

/** Drops absent optional fields, so a `PUSH_PREVIEW=none` notification has no `preview` key at all. */
function withoutAbsent<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * `PUT /v1/chats/{chatId}/notifications {level}`: the caller's own level for
 * this chat (idempotent). Emits `membership.updated` to the caller's own
 * connections (SPEC §6). Answers the chat as the caller sees it.
 * Errors: 404 not a participant, 429 past the writes limit.
 */
export async function setNotificationLevel(ctx: DomainContext, principal: Principal, chatId: string, level: NotificationLevel): Promise<ChatT> {
  const { chat, membership } = await withSlot(ctx, principal.userId, 'writes', requireParticipant(ctx, principal, chatId));
  const current = membership.notificationLevel ?? DEFAULT_LEVEL;
  if (current !== level && !(await ctx.repo.memberships.update(chatId, principal.userId, { notificationLevel: level }))) throw chatNotFound();
  const updated = { ...membership, notificationLevel: level };
  await announceMembership(ctx, principal, chatId, updated);
  return chatWithParticipants(ctx, chat, updated);
}

/** `membership.updated {chatId, archived, notificationLevel}` to the caller's own connections (their other devices). */
export async function announceMembership(ctx: DomainContext, principal: Principal, chatId: string, membership: MembershipRecord): Promise<void> {
  await ctx.notifier.toUsers([principal.userId], {
    type: 'membership.updated',
    chatId,
    archived: membership.archived,
    notificationLevel: membership.notificationLevel ?? DEFAULT_LEVEL,
    at: ctx.now().toISOString(),
  });
}
