/**
 * SPEC §8 end to end through the local gateway: devices (token moves, bad
 * input), notification levels (`membership.updated`), coalesced offline
 * notifications at `/dev/notifications` (offline, online, connected again),
 * mentions and `unreadMentions`.
 */
import { describe, expect, inject, it } from 'vitest';
import { call, client, uniqueId } from '../support/api';
import { record } from '../support/sdk-events';

const stack = inject('stack');
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** The notifications published for one chat, oldest first (raw: a local-only route). */
async function notificationsFor(chatId: string): Promise<any[]> {
  const { notifications } = (await call(stack, 'GET', '/dev/notifications')).body;
  return notifications.filter((n: any) => n.chatId === chatId);
}

const apnsToken = () => Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');

describe('devices', () => {
  it('registers, lists, gets and removes a device; a token moves to the user who registers it last', async () => {
    const [ada, bob] = await Promise.all(['ada', 'bob'].map((n) => client(uniqueId(n))));
    const token = apnsToken();
    const { device } = await ada.api.registerDevice('phone-1', { platform: 'apns', token });
    expect(device).toEqual({ id: 'phone-1', platform: 'apns', token, registeredAt: expect.any(String) });
    expect((await ada.api.getDevice('phone-1')).device.token).toBe(token);
    expect((await ada.api.listDevices()).devices.map((d) => d.id)).toEqual(['phone-1']);

    await bob.api.registerDevice('phone-9', { platform: 'apns', token });
    expect((await ada.api.listDevices()).devices).toEqual([]);
    expect((await bob.api.listDevices()).devices.map((d) => d.id)).toEqual(['phone-9']);
    // Someone else's device id does not exist for the caller.
    await expect(ada.api.getDevice('phone-9')).rejects.toMatchObject({ status: 404, code: 'not_found' });

    expect((await bob.del('/v1/me/devices/phone-9')).status).toBe(204);
    expect((await bob.del('/v1/me/devices/phone-9')).status).toBe(204);
    expect((await bob.api.listDevices()).devices).toEqual([]);
  });

  it('answers 400 to unknown platforms, malformed tokens and bad device ids, storing nothing', async () => {
    const ada = await client(uniqueId('ada'));
    for (const body of [{ platform: 'webpush', token: apnsToken() }, { platform: 'apns', token: 'zz' }, { platform: 'fcm', token: 'x'.repeat(5000) }, {}]) {
      const answer = await ada.put('/v1/me/devices/d1', body);
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('bad_request');
    }
    expect((await ada.put('/v1/me/devices/bad%23id', { platform: 'apns', token: apnsToken() })).status).toBe(400);
    expect((await ada.api.listDevices()).devices).toEqual([]);
  });
});

describe('offline notifications', () => {
  it('coalesces a burst into one notification, notifies again after reading or reconnecting, never while online', async () => {
    const [ada, bob] = await Promise.all(['ada', 'bob'].map((n) => client(uniqueId(n))));
    const { chat } = await ada.api.createChat({ type: 'group', participantIds: [bob.id], title: 'Harvest' });
    for (let i = 1; i <= 5; i++) await ada.api.sendMessage(chat.id, { content: `burst ${i}` });
    await expect.poll(() => notificationsFor(chat.id)).toHaveLength(1);
    expect((await notificationsFor(chat.id))[0]).toEqual({
      recipientId: bob.id,
      chatId: chat.id,
      chatTitle: 'Harvest',
      messageId: expect.any(String),
      seq: 1,
      senderId: ada.id,
      senderName: ada.id,
      preview: 'burst 1',
      mentioned: false,
      unreadCount: 1,
    });

    // Online: no notification at all.
    const socket = await bob.socket();
    await ada.api.sendMessage(chat.id, { content: 'while bob is online' });
    await sleep(200);
    socket.close();
    await sleep(300);
    // Connected again since the notification: the next message notifies.
    await ada.api.sendMessage(chat.id, { content: 'after bob left' });
    await expect.poll(async () => (await notificationsFor(chat.id)).map((n) => n.seq)).toEqual([1, 7]);
    await ada.api.sendMessage(chat.id, { content: 'coalesced' });
    // Reading past the notified message: the next one notifies, with the unread count since the marker.
    await bob.api.markRead(chat.id, { upToSeq: 7 });
    await ada.api.sendMessage(chat.id, { content: 'after reading' });
    await expect.poll(async () => (await notificationsFor(chat.id)).map((n) => [n.seq, n.unreadCount])).toEqual([
      [1, 1],
      [7, 7],
      [9, 2],
    ]);
  });

  it('notifies mentions despite coalescing and the mentions level, not at level none; counts unreadMentions', async () => {
    const [ada, bob, cy] = await Promise.all(['ada', 'bob', 'cy'].map((n) => client(uniqueId(n))));
    const { chat } = await ada.api.createChat({ type: 'group', participantIds: [bob.id, cy.id] });
    const cySocket = await cy.socket();
    const cyEvents = record(cySocket);
    try {
      const changed = await cy.api.setNotificationLevel(chat.id, { level: 'mentions' });
      expect(changed.chat.notificationLevel).toBe('mentions');
      expect(await cyEvents.next('membership.updated', (e) => e.chatId === chat.id)).toMatchObject({ chatId: chat.id, archived: false, notificationLevel: 'mentions' });
    } finally {
      cySocket.close();
    }
    await sleep(300);
    await ada.api.sendMessage(chat.id, { content: 'plain' });
    const mention = await ada.api.sendMessage(chat.id, { content: '@bob @cy', mentions: [bob.id, cy.id] });
    expect(mention.message.mentions).toEqual([bob.id, cy.id]);
    await expect.poll(async () => (await notificationsFor(chat.id)).map((n) => [n.recipientId === bob.id ? 'bob' : 'cy', n.seq, n.mentioned])).toEqual([
      ['bob', 1, false],
      ['bob', 2, true],
      ['cy', 2, true],
    ]);
    expect((await bob.api.getChat(chat.id)).chat).toMatchObject({ unreadMentions: 1, notificationLevel: 'all' });
    expect((await bob.api.listChats()).chats.find((c) => c.id === chat.id)?.unreadMentions).toBe(1);
    expect(await bob.api.getStats()).toMatchObject({ unreadMentions: 1 });
    await bob.api.markRead(chat.id, {});
    expect((await bob.api.getStats()).unreadMentions).toBe(0);

    await bob.api.setNotificationLevel(chat.id, { level: 'none' });
    await ada.api.sendMessage(chat.id, { content: '@bob muted', mentions: [bob.id] });
    await sleep(300);
    expect((await notificationsFor(chat.id)).filter((n) => n.recipientId === bob.id)).toHaveLength(2);
    await expect(ada.api.sendMessage(chat.id, { content: 'x', mentions: [uniqueId('stranger')] })).rejects.toMatchObject({ status: 400 });
    const outsider = await client(uniqueId('mallory'));
    expect((await outsider.put(`/v1/chats/${chat.id}/notifications`, { level: 'none' })).status).toBe(404);
    expect((await bob.put(`/v1/chats/${chat.id}/notifications`, { level: 'loud' })).status).toBe(400);
  });

  it('an edit that adds a mention counts and notifies it, one that removes it uncounts it; a deleted mention stops counting; a blocker never hears of a blocked sender\'s mentions', async () => {
    const [ada, bob, cy, dan] = await Promise.all(['ada', 'bob', 'cy', 'dan'].map((n) => client(uniqueId(n))));
    const { chat } = await ada.api.createChat({ type: 'group', participantIds: [bob.id, cy.id, dan.id] });
    await dan.api.blockUser(ada.id);
    await bob.api.setNotificationLevel(chat.id, { level: 'mentions' });
    const { message } = await ada.api.sendMessage(chat.id, { content: 'hello @cy', mentions: [cy.id] });
    // Dan blocks Ada: her mention neither notifies nor counts for him.
    const toDan = await ada.api.sendMessage(chat.id, { content: '@dan?', mentions: [dan.id] });
    await expect.poll(async () => (await notificationsFor(chat.id)).map((n) => n.recipientId === cy.id)).toEqual([true]);
    expect((await dan.api.getStats()).unreadMentions).toBe(0);
    expect((await cy.api.getStats()).unreadMentions).toBe(1);

    // Bob (level mentions, never notified) is newly mentioned; cy is not any more; dan still never.
    const edited = await ada.api.editMessage(chat.id, message.id, { content: 'hello @bob @dan', mentions: [bob.id, dan.id] });
    expect(edited.message.mentions).toEqual([bob.id, dan.id]);
    await expect.poll(async () => (await notificationsFor(chat.id)).map((n) => [n.recipientId === bob.id ? 'bob' : n.recipientId === cy.id ? 'cy' : 'dan', n.seq, n.mentioned])).toEqual([
      ['cy', 1, true],
      ['bob', 1, true],
    ]);
    expect((await notificationsFor(chat.id))[1]).toMatchObject({ unreadCount: 2, preview: 'hello @bob @dan' });
    expect((await bob.api.getChat(chat.id)).chat.unreadMentions).toBe(1);
    expect((await bob.api.listChats()).chats.find((c) => c.id === chat.id)?.unreadMentions).toBe(1);
    expect((await cy.api.getStats()).unreadMentions).toBe(0);
    expect((await dan.api.getChat(chat.id)).chat.unreadMentions).toBe(0);
    await expect(ada.api.editMessage(chat.id, message.id, { content: 'x', mentions: [uniqueId('stranger')] })).rejects.toMatchObject({ status: 400 });
    // [] removes every mention; absent keeps them.
    expect((await ada.api.editMessage(chat.id, toDan.message.id, { content: 'dan?', mentions: [] })).message.mentions).toEqual([]);
    expect((await ada.api.editMessage(chat.id, message.id, { content: 'hello again @bob @dan' })).message.mentions).toEqual([bob.id, dan.id]);

    // Deleting the unread message that mentions bob: his unreadMentions drops, everywhere, and stays at 0.
    await ada.api.deleteMessage(chat.id, message.id);
    await ada.api.deleteMessage(chat.id, message.id);
    expect((await bob.api.getChat(chat.id)).chat.unreadMentions).toBe(0);
    expect((await bob.api.listChats()).chats.find((c) => c.id === chat.id)?.unreadMentions).toBe(0);
    expect(await bob.api.getStats()).toMatchObject({ unreadMentions: 0 });
  });
});
