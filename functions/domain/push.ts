/**
 * Mobile push for one offline notification (SPEC §8), run by the push
 * worker (`functions/events/push.ts`) for each `chat.message.offline` event
 * when the stack has SNS platform applications.
 *
 * - Every device of the recipient whose platform has an application gets
 *   one push; others are skipped.
 * - The SNS platform endpoint is created lazily, on the first push to a
 *   device, and remembered on the device (`endpointArn`); registering a
 *   new token clears it.
 * - The badge is the recipient's total unread count over their
 *   non-archived chats (one Query of their memberships, ⌈C/100⌉
 *   BatchGetItem of the chats), read only when they have a device.
 * - A device whose endpoint SNS reports disabled or invalid is removed
 *   (with its endpoint), so it is not retried on every message.
 * - A stored endpoint SNS no longer has (`missing`: deleted while this
 *   device's was created, when a token moved between devices) is created
 *   again and the push sent once more; a device is never left pointing at
 *   a deleted endpoint.
 * - Nothing here can fail a send: the event was published after the
 *   message was stored; a failing device is logged and skipped.
 */
import type { OfflineNotification, PushMessage, PushService, Repository } from './ports';
import type { DeviceRecord } from './types';
import { unreadCount } from './views';

export interface PushDeps {
  repo: Repository;
  push: PushService;
  /** Where a failing device is reported (the logger in production). */
  warn?: (message: string, details: Record<string, unknown>) => void;
}

export interface PushOutcome {
  sent: number;
  removed: number;
  failed: number;
}

/** The push of a notification: no title or body when the event carries no preview (`PUSH_PREVIEW=none`). */
export function pushMessage(n: OfflineNotification, badge: number): PushMessage {
  const title = n.chatTitle ? (n.senderName ? `${n.senderName} in ${n.chatTitle}` : n.chatTitle) : n.senderName;
  return { chatId: n.chatId, messageId: n.messageId, seq: n.seq, title, body: n.preview, badge, mentioned: n.mentioned };
}

/** SPEC §8 badge: the recipient's unread messages over every non-archived chat. */
export async function totalUnread(repo: Repository, userId: string): Promise<number> {
  const memberships = (await repo.memberships.listByUser(userId)).filter((m) => !m.archived);
  if (memberships.length === 0) return 0;
  const byChat = new Map(memberships.map((m) => [m.chatId, m]));
  const chats = await repo.chats.getMany([...byChat.keys()]);
  return chats.reduce((sum, chat) => sum + unreadCount(chat, byChat.get(chat.id)), 0);
}

/** Pushes one notification to every device of its recipient. */
export async function deliverPush(deps: PushDeps, notification: OfflineNotification): Promise<PushOutcome> {
  const outcome: PushOutcome = { sent: 0, removed: 0, failed: 0 };
  if (deps.push.platforms.length === 0) return outcome;
  const devices = (await deps.repo.devices.list(notification.recipientId)).filter((d) => deps.push.platforms.includes(d.platform));
  if (devices.length === 0) return outcome;
  const message = pushMessage(notification, await totalUnread(deps.repo, notification.recipientId));
  await Promise.all(
    devices.map(async (device) => {
      try {
        const result = await pushTo(deps, device, message);
        outcome[result === 'sent' ? 'sent' : 'removed']++;
      } catch (error) {
        outcome.failed++;
        deps.warn?.('push failed', { deviceId: device.deviceId, platform: device.platform, error: (error as Error).name });
      }
    }),
  );
  return outcome;
}

async function pushTo(deps: PushDeps, device: DeviceRecord, message: PushMessage): Promise<'sent' | 'removed'> {
  const createEndpoint = async () => {
    const arn = await deps.push.createEndpoint(device.platform, device.token, device.userId);
    await deps.repo.devices.setEndpoint(device.userId, device.deviceId, device.token, arn);
    return arn;
  };
  let endpointArn = device.endpointArn ?? (await createEndpoint());
  let result = await deps.push.publish(endpointArn, device.platform, message);
  if (result === 'missing') {
    endpointArn = await createEndpoint();
    result = await deps.push.publish(endpointArn, device.platform, message);
    if (result === 'missing') throw Object.assign(new Error('SNS has no endpoint for this token, even just after creating it'), { name: 'EndpointMissing' });
  }
  if (result === 'sent') return 'sent';
  // Disabled or invalid: the app is gone from that phone, or the token is stale. The app registers again when it runs.
  await Promise.all([deps.repo.devices.remove(device.userId, device.deviceId), deps.push.deleteEndpoint(endpointArn)]);
  return 'removed';
}
