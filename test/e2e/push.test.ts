/**
 * SPEC §8 mobile push end to end: the local stack runs the same push worker
 * behind its bus as a stack deployed with SNS platform applications, against
 * its SNS stand-in, and lists what it would have sent at `/dev/pushes`: one
 * push per device, the chat as collapse key, the total unread as badge; a
 * token moved to another user pushes to them; a disabled endpoint's device
 * is removed.
 */
import { describe, expect, inject, it } from 'vitest';
import { LOCAL_REGION } from '../../local/dynamo';
import { call, client, uniqueId } from '../support/api';

const stack = inject('stack');

async function pushesTo(token: string): Promise<any[]> {
  const { pushes } = (await call(stack, 'GET', '/dev/pushes')).body;
  return pushes.filter((p: any) => p.token === token);
}

async function endpointsOf(token: string): Promise<{ endpointArn: string; userId?: string }[]> {
  const { endpoints } = (await call(stack, 'GET', '/dev/sns/endpoints')).body;
  return endpoints.filter((e: any) => e.token === token);
}

/** The stack's APNs platform application (`PUSH_APNS_ARN` of `local/start.ts`). */
const LOCAL_APNS_APP = `arn:aws:sns:${LOCAL_REGION}:000000000000:app/APNS/chat-local`;

const hexToken = () => Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');

describe('mobile push', () => {
  it('pushes once per burst to every device, with the chat as collapse key and the total unread as badge', async () => {
    const [ada, bob] = await Promise.all(['ada', 'bob'].map((n) => client(uniqueId(n))));
    const apns = hexToken();
    const fcm = `fcm-${uniqueId('t')}`.replace(/[^A-Za-z0-9_:.-]/g, '').padEnd(48, 'x');
    await bob.api.registerDevice('iphone', { platform: 'apns', token: apns });
    await bob.api.registerDevice('pixel', { platform: 'fcm', token: fcm });
    const { chat } = await ada.api.createChat({ type: 'group', participantIds: [bob.id], title: 'Crew' });
    await ada.api.sendMessage(chat.id, { content: 'first' });
    // The badge is the unread count when the worker reads it: the second send waits for the first push, so it is 1.
    await expect.poll(async () => (await pushesTo(apns)).length).toBe(1);
    await ada.api.sendMessage(chat.id, { content: 'second' });
    const [iphone] = await pushesTo(apns);
    expect(iphone).toMatchObject({ platform: 'APNS', userId: bob.id, attributes: { 'AWS.SNS.MOBILE.APNS.COLLAPSE_ID': chat.id } });
    expect(iphone.payload).toMatchObject({ aps: { alert: { title: `${ada.id} in Crew`, body: 'first' }, badge: 1, 'thread-id': chat.id }, chatId: chat.id });
    await expect.poll(async () => (await pushesTo(fcm)).length).toBe(1);
    expect((await pushesTo(fcm))[0].payload.fcmV1Message.message.android).toMatchObject({ collapse_key: chat.id, notification: { notification_count: 1 } });

    // A mention is pushed despite coalescing, with the badge counting every unread message.
    await ada.api.sendMessage(chat.id, { content: `@${bob.id}`, mentions: [bob.id] });
    await expect.poll(async () => (await pushesTo(apns)).map((p) => p.payload.aps.badge)).toEqual([1, 3]);
  });

  it('pushes to the user a token moved to, and removes a device whose endpoint SNS disabled', async () => {
    const [ada, bob, cy] = await Promise.all(['ada', 'bob', 'cy'].map((n) => client(uniqueId(n))));
    const token = hexToken();
    await bob.api.registerDevice('shared', { platform: 'apns_sandbox', token });
    await cy.api.registerDevice('mine-now', { platform: 'apns_sandbox', token });
    const dead = `disabled-${uniqueId('t')}`.replace(/[^A-Za-z0-9_:.-]/g, '').padEnd(48, 'x');
    await cy.api.registerDevice('old-phone', { platform: 'fcm', token: dead });
    const { chat } = await ada.api.createChat({ type: 'group', participantIds: [bob.id, cy.id] });
    await ada.api.sendMessage(chat.id, { content: 'to both' });
    await expect.poll(async () => (await pushesTo(token)).map((p) => p.userId)).toEqual([cy.id]);
    await expect.poll(async () => (await cy.api.listDevices()).devices.map((d) => d.id)).toEqual(['mine-now']);
    expect(await pushesTo(dead)).toEqual([]);
  });

  it('deletes the SNS endpoint of a deleted device and of a token that moves, so the new holder gets its own', async () => {
    const [ada, bob, cy] = await Promise.all(['ada', 'bob', 'cy'].map((n) => client(uniqueId(n))));
    const gone = hexToken();
    const moving = hexToken();
    await bob.api.registerDevice('old', { platform: 'apns', token: gone });
    await bob.api.registerDevice('phone', { platform: 'apns', token: moving });
    const { chat } = await ada.api.createChat({ type: 'group', participantIds: [bob.id, cy.id] });
    await ada.api.sendMessage(chat.id, { content: 'hi bob' });
    // The first push created both endpoints (lazily), with Bob as CustomUserData.
    await expect.poll(async () => (await pushesTo(moving)).length).toBe(1);
    expect((await endpointsOf(gone)).map((e) => e.userId)).toEqual([bob.id]);
    expect((await endpointsOf(moving)).map((e) => e.userId)).toEqual([bob.id]);

    await bob.api.deleteDevice('old');
    expect(await endpointsOf(gone)).toEqual([]);

    // The phone changes hands: Bob's endpoint goes with his device, Cy's first push creates Cy's own.
    await cy.api.registerDevice('mine-now', { platform: 'apns', token: moving });
    expect(await endpointsOf(moving)).toEqual([]);
    await ada.api.sendMessage(chat.id, { content: `@${cy.id}`, mentions: [cy.id] });
    await expect.poll(async () => (await pushesTo(moving)).map((p) => p.userId)).toEqual([bob.id, cy.id]);
    expect((await endpointsOf(moving)).map((e) => e.userId)).toEqual([cy.id]);
  });

  it("takes over a token's endpoint that still carries another user's data (its deletion failed), as AWS documents", async () => {
    const [ada, bob] = await Promise.all(['ada', 'bob'].map((n) => client(uniqueId(n))));
    const token = hexToken();
    // An endpoint for this token left by someone else, which SNS refuses to hand to Bob as it is.
    const form = new URLSearchParams({ Action: 'CreatePlatformEndpoint', Version: '2010-03-31', PlatformApplicationArn: LOCAL_APNS_APP, Token: token, CustomUserData: 'someone-else' });
    const created = await fetch(`${stack.baseUrl}/dev/sns`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    expect(created.status).toBe(200);
    const [left] = await endpointsOf(token);
    await bob.api.registerDevice('phone', { platform: 'apns', token });
    const { chat } = await ada.api.createChat({ type: 'direct', participantIds: [bob.id] });
    await ada.api.sendMessage(chat.id, { content: 'still reaches bob' });
    await expect.poll(async () => (await pushesTo(token)).map((p) => p.userId)).toEqual([bob.id]);
    expect(await endpointsOf(token)).toEqual([expect.objectContaining({ endpointArn: left.endpointArn, userId: bob.id })]);
  });
});
