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
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSnsPush, existingEndpointArn, GENERIC_BODY, snsPublishInput } from '../../functions/lib/sns-push';
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
  async publish(endpointArn: string, platform: PushPlatform, message: PushMessage): Promise<'sent' | 'gone' | 'missing'> {
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

  it('creates a stored endpoint SNS no longer has again, remembers it and sends once more', async () => {
    const { ctx, repo, bob, notification } = await setup();
    await registerDevice(ctx, bob, 'phone', { platform: 'apns', token: hex('e') });
    const push = new FakePush();
    await deliverPush({ repo, push }, notification);
    const first = (await repo.devices.get('bob', 'phone'))!.endpointArn!;
    // The endpoint is deleted behind our back (the token's previous device gave way while this one's was created).
    let generation = 0;
    push.createEndpoint = async (platform, token) => `arn:endpoint/${platform}/${token}/${++generation}`;
    const publish = push.publish.bind(push);
    push.publish = async (arn, platform, message) => (arn === first ? ('missing' as const) : publish(arn, platform, message));
    expect(await deliverPush({ repo, push }, notification)).toEqual({ sent: 1, removed: 0, failed: 0 });
    expect((await repo.devices.get('bob', 'phone'))?.endpointArn).toBe(`arn:endpoint/apns/${hex('e')}/1`);
    expect(push.published.at(-1)?.endpointArn).toBe(`arn:endpoint/apns/${hex('e')}/1`);
    // A token SNS keeps answering "no such endpoint" for is a failure, not a loop.
    push.publish = async () => 'missing' as const;
    expect(await deliverPush({ repo, push }, notification)).toEqual({ sent: 0, removed: 0, failed: 1 });
    expect(await repo.devices.get('bob', 'phone')).toBeDefined();
  });
});

describe('createSnsPush against an SNS Query API double', () => {
  const existing = 'arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/chat/3f1c9a2e-0000-4000-8000-000000000001';
  const sns = (code: string, message: string) =>
    `<ErrorResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`;

  async function withSns(answer: (params: URLSearchParams) => { status: number; body: string }, run: (endpoint: string, calls: URLSearchParams[]) => Promise<void>) {
    const calls: URLSearchParams[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const params = new URLSearchParams(body);
        calls.push(params);
        const out = answer(params);
        res.writeHead(out.status, { 'content-type': 'text/xml' }).end(out.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const keys = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    try {
      await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls);
    } finally {
      server.close();
      if (keys.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = keys.id;
      if (keys.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = keys.secret;
    }
  }

  it("takes over a token's endpoint that carries another user's CustomUserData (AWS's documented remedy)", async () => {
    await withSns(
      (p) =>
        p.get('Action') === 'CreatePlatformEndpoint'
          ? { status: 400, body: sns('InvalidParameter', `Invalid parameter: Token Reason: Endpoint ${existing} already exists with the same Token, but different attributes.`) }
          : { status: 200, body: '<SetEndpointAttributesResponse><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></SetEndpointAttributesResponse>' },
      async (endpoint, calls) => {
        const push = createSnsPush({ applications: { apns: 'arn:aws:sns:eu-west-1:123456789012:app/APNS/chat' }, endpoint, region: 'eu-west-1' });
        expect(await push.createEndpoint('apns', hex('a'), 'bob')).toBe(existing);
        const set = calls.find((c) => c.get('Action') === 'SetEndpointAttributes')!;
        expect(set.get('EndpointArn')).toBe(existing);
        const attributes = new Map<string, string>();
        for (let i = 1; set.has(`Attributes.entry.${i}.key`); i++) attributes.set(set.get(`Attributes.entry.${i}.key`)!, set.get(`Attributes.entry.${i}.value`)!);
        expect(Object.fromEntries(attributes)).toEqual({ CustomUserData: 'bob', Enabled: 'true', Token: hex('a') });
      },
    );
  });

  it('answers missing for NotFound, gone for a disabled endpoint, and throws anything else', async () => {
    const codes = ['NotFound', 'EndpointDisabled', 'AuthorizationError'];
    await withSns(
      () => ({ status: 400, body: sns(codes.length > 1 ? codes.shift()! : codes[0], 'no') }),
      async (endpoint) => {
        const push = createSnsPush({ applications: { fcm: 'arn:aws:sns:eu-west-1:123456789012:app/GCM/chat' }, endpoint, region: 'eu-west-1' });
        const m: PushMessage = { chatId: 'c1', messageId: 'm-1', seq: 1, badge: 1, mentioned: false };
        expect(await push.publish(existing, 'fcm', m)).toBe('missing');
        expect(await push.publish(existing, 'fcm', m)).toBe('gone');
        await expect(push.publish(existing, 'fcm', m)).rejects.toMatchObject({ name: 'AuthorizationErrorException' });
      },
    );
  });

  it('reads the ARN only out of the "already exists" error', () => {
    expect(existingEndpointArn(Object.assign(new Error('Invalid parameter: Token'), { name: 'InvalidParameter' }))).toBeUndefined();
    expect(existingEndpointArn(Object.assign(new Error(`Endpoint ${existing} already exists with the same Token`), { name: 'Throttled' }))).toBeUndefined();
  });
});
