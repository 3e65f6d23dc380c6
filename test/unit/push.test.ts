/**
 * SPEC §8 mobile push: the SNS payloads (collapse key, badge, no preview
 * with PUSH_PREVIEW=none) and the worker's rules on the in-memory ports
 * (lazy endpoints, every device, dead devices removed, push off).
 */
import { describe, expect, it } from 'vitest';
import { createChat } from '../../functions/domain/chats';
import { registerDevice } from '../../functions/domain/devices';
import { sendMessage } from '../../functions/domain/messages';
import type { PushMessage, PushService } from '../../functions/domain/ports';
import { deliverPush } from '../../functions/domain/push';
import type { PushPlatform } from '../../functions/domain/types';
import { GENERIC_BODY, snsPublishInput } from '../../functions/lib/sns-push';
import { memoryContext, user } from '../support/memory';

class FakePush implements PushService {
  readonly published: { endpointArn: string; platform: PushPlatform; message: PushMessage }[] = [];
  readonly created: string[] = [];
  readonly deleted: string[] = [];
  constructor(readonly platforms: PushPlatform[] = ['apns', 'apns_sandbox', 'fcm']) {}
  async createEndpoint(platform: PushPlatform, token: string) {
    this.created.push(token);
    return `arn:endpoint/${platform}/${token}`;
  }
  async publish(endpointArn: string, platform: PushPlatform, message: PushMessage) {
    if (endpointArn.includes('dead')) return 'gone' as const;
    this.published.push({ endpointArn, platform, message });
    return 'sent' as const;
  }
  async deleteEndpoint(endpointArn: string) {
    this.deleted.push(endpointArn);
  }
}

const hex = (c: string) => c.repeat(64);

describe('SNS payloads', () => {
  const message: PushMessage = { chatId: 'c1', messageId: 'm-3', seq: 3, title: 'Ada in Team', body: 'hello', badge: 7, mentioned: true };

  it('APNs: alert, badge, thread and the chat as apns-collapse-id', () => {
    const input = snsPublishInput('apns', message);
    const payload = JSON.parse(JSON.parse(input.Message).APNS);
    expect(payload).toEqual({ aps: { alert: { title: 'Ada in Team', body: 'hello' }, badge: 7, sound: 'default', 'thread-id': 'c1' }, chatId: 'c1', messageId: 'm-3', seq: '3', mentioned: 'true' });
    expect(input.MessageAttributes).toEqual({ 'AWS.SNS.MOBILE.APNS.COLLAPSE_ID': { DataType: 'String', StringValue: 'c1' } });
    expect(Object.keys(JSON.parse(snsPublishInput('apns_sandbox', message).Message))).toEqual(['APNS_SANDBOX']);
  });

  it('FCM: the chat as collapse_key, the badge as notification_count', () => {
    const payload = JSON.parse(JSON.parse(snsPublishInput('fcm', message).Message).GCM);
    expect(payload.fcmV1Message.message).toMatchObject({
      notification: { title: 'Ada in Team', body: 'hello' },
      data: { chatId: 'c1', messageId: 'm-3' },
      android: { collapse_key: 'c1', notification: { notification_count: 7 } },
    });
  });

  it('without a preview (PUSH_PREVIEW=none) carries no content, name or title', () => {
    const bare = { ...message, title: undefined, body: undefined };
    const text = snsPublishInput('apns', bare).Message + snsPublishInput('fcm', bare).Message;
    expect(text).not.toMatch(/hello|Ada|Team/);
    expect(text).toContain(GENERIC_BODY);
  });
});

describe('deliverPush', () => {
  async function setup() {
    const m = memoryContext();
    const [ada, bob] = await Promise.all([user(m.repo, 'ada'), user(m.repo, 'bob')]);
    const { chat } = await createChat(m.ctx, ada, { type: 'group', participantIds: ['bob'], title: 'Team' });
    const other = (await createChat(m.ctx, ada, { type: 'direct', participantIds: ['bob'] })).chat;
    await sendMessage(m.ctx, ada, other.id, { content: 'earlier' });
    await sendMessage(m.ctx, ada, chat.id, { content: 'hello bob' });
    const notification = m.offline.published.find((n) => n.chatId === chat.id)!;
    return { ...m, ada, bob, chat, notification };
  }

  it('pushes to every device, creating endpoints once, with the total unread count as badge', async () => {
    const { ctx, repo, bob, notification } = await setup();
    await registerDevice(ctx, bob, 'phone', { platform: 'apns', token: hex('a') });
    await registerDevice(ctx, bob, 'tablet', { platform: 'fcm', token: 'f'.repeat(40) });
    const push = new FakePush();
    expect(await deliverPush({ repo, push }, notification)).toEqual({ sent: 2, removed: 0, failed: 0 });
    expect(push.published.map((p) => p.message)).toEqual([
      { chatId: notification.chatId, messageId: notification.messageId, seq: 1, title: 'ADA in Team', body: 'hello bob', badge: 2, mentioned: false },
      { chatId: notification.chatId, messageId: notification.messageId, seq: 1, title: 'ADA in Team', body: 'hello bob', badge: 2, mentioned: false },
    ]);
    await deliverPush({ repo, push }, notification);
    expect(push.created).toHaveLength(2);
    expect((await repo.devices.get('bob', 'phone'))?.endpointArn).toBe(`arn:endpoint/apns/${hex('a')}`);
  });

  it('removes a device SNS reports disabled or invalid, with its endpoint; skips platforms without an application', async () => {
    const { ctx, repo, bob, notification } = await setup();
    await registerDevice(ctx, bob, 'dead', { platform: 'fcm', token: `dead${'x'.repeat(40)}` });
    await registerDevice(ctx, bob, 'sandbox', { platform: 'apns_sandbox', token: hex('b') });
    const push = new FakePush(['fcm']);
    expect(await deliverPush({ repo, push }, notification)).toEqual({ sent: 0, removed: 1, failed: 0 });
    expect(await repo.devices.get('bob', 'dead')).toBeUndefined();
    expect(push.deleted).toHaveLength(1);
    expect(await repo.devices.get('bob', 'sandbox')).toBeDefined();
    // Push off: nothing is read or sent.
    expect(await deliverPush({ repo, push: new FakePush([]) }, notification)).toEqual({ sent: 0, removed: 0, failed: 0 });
  });

  it('keeps going when one device fails', async () => {
    const { ctx, repo, bob, notification } = await setup();
    await registerDevice(ctx, bob, 'a', { platform: 'apns', token: hex('c') });
    await registerDevice(ctx, bob, 'b', { platform: 'apns', token: hex('d') });
    const push = new FakePush();
    push.createEndpoint = async (platform, token) => {
      if (token === hex('c')) throw Object.assign(new Error('throttled'), { name: 'ThrottledException' });
      return `arn:endpoint/${platform}/${token}`;
    };
    const warnings: unknown[] = [];
    expect(await deliverPush({ repo, push, warn: (_m, d) => warnings.push(d) }, notification)).toEqual({ sent: 1, removed: 0, failed: 1 });
    expect(warnings).toEqual([{ deviceId: 'a', platform: 'apns', error: 'ThrottledException' }]);
  });
});
