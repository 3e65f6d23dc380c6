/** SPEC §8 devices and §5's limit of 10, on the in-memory ports. */
import { describe, expect, it } from 'vitest';
import { getDevice, listDevices, registerDevice, removeDevice } from '../../functions/domain/devices';
import { RegisterDeviceBody } from '../../functions/schemas';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

const apns = (n: number) => ({ platform: 'apns' as const, token: n.toString(16).padStart(64, '0') });

describe('devices', () => {
  it('registers, re-registers idempotently, lists newest first, gets and removes (idempotent)', async () => {
    const { ctx, repo, advance } = memoryContext();
    const ada = await user(repo, 'ada');
    const { device } = await registerDevice(ctx, ada, 'phone', apns(1));
    expect(device).toEqual({ id: 'phone', platform: 'apns', token: apns(1).token, registeredAt: '2026-01-01T00:00:00.000Z' });
    advance(1000);
    await registerDevice(ctx, ada, 'tablet', { platform: 'fcm', token: 'f'.repeat(40) });
    advance(1000);
    await registerDevice(ctx, ada, 'phone', apns(1));
    expect((await listDevices(ctx, ada)).devices.map((d) => d.id)).toEqual(['phone', 'tablet']);
    expect((await getDevice(ctx, ada, 'tablet')).device.platform).toBe('fcm');
    await removeDevice(ctx, ada, 'tablet');
    await removeDevice(ctx, ada, 'tablet');
    expect(await codeOf(getDevice(ctx, ada, 'tablet'))).toBe('404 not_found');
    expect(repo.tokenMap.size).toBe(1);
  });

  it('moves a token to the user who registers it last, and a new token frees the old one', async () => {
    const { ctx, repo } = memoryContext();
    const [ada, bob] = await Promise.all([user(repo, 'ada'), user(repo, 'bob')]);
    await registerDevice(ctx, ada, 'phone', apns(7));
    await registerDevice(ctx, bob, 'his-phone', apns(7));
    expect((await listDevices(ctx, ada)).devices).toEqual([]);
    expect((await listDevices(ctx, bob)).devices.map((d) => d.id)).toEqual(['his-phone']);
    // Bob's device gets a new token: the old one belongs to nobody, so Ada may take it back.
    await registerDevice(ctx, bob, 'his-phone', apns(8));
    expect(repo.tokenMap.has(`apns|${apns(7).token}`)).toBe(false);
    await registerDevice(ctx, ada, 'phone', apns(7));
    expect((await listDevices(ctx, bob)).devices.map((d) => d.token)).toEqual([apns(8).token]);
  });

  it('keeps at most 10 per user: the 11th replaces the least recently registered', async () => {
    const { ctx, repo, advance } = memoryContext();
    const ada = await user(repo, 'ada');
    for (let i = 0; i < 10; i++) {
      await registerDevice(ctx, ada, `d${i}`, apns(i));
      advance(1000);
    }
    // Re-registering d0 makes it the most recent: d1 is the one replaced.
    await registerDevice(ctx, ada, 'd0', apns(0));
    advance(1000);
    await registerDevice(ctx, ada, 'd10', apns(10));
    const ids = (await listDevices(ctx, ada)).devices.map((d) => d.id);
    expect(ids).toHaveLength(10);
    expect(ids).not.toContain('d1');
    expect(ids).toContain('d0');
    expect(repo.tokenMap.has(`apns|${apns(1).token}`)).toBe(false);
  });

  it('deletes the SNS endpoint of every device that goes away: removed, token moved or changed, replaced by the cap, erased', async () => {
    const { ctx, repo, endpoints, advance } = memoryContext();
    const [ada, bob] = await Promise.all([user(repo, 'ada'), user(repo, 'bob')]);
    // The push worker creates endpoints lazily and records them on the device.
    const withEndpoint = async (userId: string, deviceId: string, n: number) => {
      await repo.devices.setEndpoint(userId, deviceId, apns(n).token, `arn:endpoint/${userId}/${deviceId}`);
    };
    await registerDevice(ctx, ada, 'phone', apns(1));
    await withEndpoint('ada', 'phone', 1);
    // Re-registering the same token keeps the endpoint.
    await registerDevice(ctx, ada, 'phone', apns(1));
    expect(endpoints.deleted).toEqual([]);
    await removeDevice(ctx, ada, 'phone');
    await removeDevice(ctx, ada, 'phone');
    expect(endpoints.deleted).toEqual(['arn:endpoint/ada/phone']);

    // The token moves to Bob: Ada's endpoint (her CustomUserData) goes.
    await registerDevice(ctx, ada, 'tablet', apns(2));
    await withEndpoint('ada', 'tablet', 2);
    await registerDevice(ctx, bob, 'his', apns(2));
    expect(endpoints.deleted.at(-1)).toBe('arn:endpoint/ada/tablet');
    // A device's new token: the old token's endpoint goes.
    await withEndpoint('bob', 'his', 2);
    await registerDevice(ctx, bob, 'his', apns(3));
    expect(endpoints.deleted.at(-1)).toBe('arn:endpoint/bob/his');

    // The 11th device replaces the oldest, endpoint included.
    for (let i = 0; i < 10; i++) {
      advance(1000);
      await registerDevice(ctx, ada, `d${i}`, apns(100 + i));
      await withEndpoint('ada', `d${i}`, 100 + i);
    }
    advance(1000);
    await registerDevice(ctx, ada, 'd10', apns(110));
    expect(endpoints.deleted.at(-1)).toBe('arn:endpoint/ada/d0');
    expect(endpoints.deleted).toHaveLength(4);
  });

  it.each([
    [{ platform: 'webpush', token: 'a'.repeat(64) }],
    [{ platform: 'apns', token: 'not hex' }],
    [{ platform: 'apns', token: 'a'.repeat(63) }],
    [{ platform: 'apns_sandbox', token: 'a'.repeat(201) }],
    [{ platform: 'fcm', token: 'short' }],
    [{ platform: 'fcm', token: 'x'.repeat(4097) }],
    [{ platform: 'fcm' }],
  ])('refuses %j', (body) => {
    expect(RegisterDeviceBody.safeParse(body).success).toBe(false);
  });
});
