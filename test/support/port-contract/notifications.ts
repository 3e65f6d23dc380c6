/**
 * Port contract for SPEC §8 state: the coalescing marker and mention seqs on
 * memberships, the notification level, and the device store (token moves,
 * races for one token).
 */
import { describe, expect, it } from 'vitest';
import type { DeviceRecord } from '../../../functions/domain/types';
import { at, chatWith, repositoryFor, T0, uid, type MakeRepository } from './fixtures';

export function notificationStateContract(makeRepo: MakeRepository) {
  describe('MembershipStore: notification state', () => {
    const repo = repositoryFor(makeRepo);

    it('marks a recipient notified once per expected state; a mention passes unless a later seq was notified', async () => {
      const [a, stranger] = [uid('u'), uid('u')];
      const chat = await chatWith(repo, [a]);
      expect(await repo.memberships.markNotified(chat.id, a, { seq: 3, at: at(3), mention: false })).toBe(true);
      // A second send that read "never notified" loses.
      expect(await repo.memberships.markNotified(chat.id, a, { seq: 4, at: at(4), mention: false })).toBe(false);
      expect(await repo.memberships.markNotified(chat.id, a, { seq: 4, at: at(4), expected: 2, mention: false })).toBe(false);
      expect(await repo.memberships.markNotified(chat.id, a, { seq: 5, at: at(5), expected: 3, mention: false })).toBe(true);
      expect(await repo.memberships.markNotified(chat.id, a, { seq: 6, at: at(6), expected: 999, mention: true })).toBe(true);
      expect(await repo.memberships.markNotified(chat.id, a, { seq: 6, at: at(7), mention: true })).toBe(false);
      expect(await repo.memberships.markNotified(chat.id, stranger, { seq: 1, at: at(1), mention: true })).toBe(false);
      const [m] = await repo.memberships.getMany(chat.id, [a]);
      expect(m).toMatchObject({ notifiedSeq: 6, notifiedAt: at(6) });
      const raced = await Promise.all([7, 8, 9].map((seq) => repo.memberships.markNotified(chat.id, a, { seq, at: at(seq), expected: 6, mention: false })));
      expect(raced.filter(Boolean)).toHaveLength(1);
    });

    it('keeps mention seqs as a set, drops the ones passed, and stores the level', async () => {
      const [a, b, stranger] = [uid('u'), uid('u'), uid('u')];
      const chat = await chatWith(repo, [a, b]);
      await repo.memberships.addMention(chat.id, [a, stranger], 4);
      await repo.memberships.addMention(chat.id, [a, b], 2);
      await repo.memberships.addMention(chat.id, [a], 4);
      expect((await repo.memberships.getMany(chat.id, [a]))[0].mentionSeqs).toEqual([2, 4]);
      expect((await repo.chats.getWithMembership(chat.id, b)).membership?.mentionSeqs).toEqual([2]);
      await repo.memberships.dropMentions(chat.id, a, [2, 3]);
      expect((await repo.memberships.listByUser(a))[0].mentionSeqs).toEqual([4]);
      await repo.memberships.dropMentions(chat.id, a, [4]);
      expect((await repo.memberships.getMany(chat.id, [a]))[0].mentionSeqs ?? []).toEqual([]);
      expect((await repo.memberships.getMany(chat.id, [stranger]))).toEqual([]);
      expect(await repo.memberships.update(chat.id, a, { notificationLevel: 'mentions' })).toBe(true);
      expect((await repo.memberships.getMany(chat.id, [a]))[0].notificationLevel).toBe('mentions');
    });
  });
}

const device = (userId: string, deviceId: string, token: string, over: Partial<DeviceRecord> = {}): DeviceRecord => ({
  userId,
  deviceId,
  platform: 'fcm',
  token,
  registeredAt: T0,
  ...over,
});

export function deviceContract(makeRepo: MakeRepository) {
  describe('DeviceStore', () => {
    const repo = repositoryFor(makeRepo);

    it('registers, lists, gets, records an endpoint and removes with the token pointer', async () => {
      const [a, token] = [uid('u'), uid('tok')];
      const d = device(a, 'phone', token);
      expect(await repo.devices.register(d, [], undefined)).toBe(true);
      expect(await repo.devices.list(a)).toEqual([d]);
      expect(await repo.devices.holderOf('fcm', token)).toEqual({ userId: a, deviceId: 'phone' });
      expect(await repo.devices.holderOf('apns', token)).toBeUndefined();
      await repo.devices.setEndpoint(a, 'phone', 'another token', 'arn:wrong');
      await repo.devices.setEndpoint(a, 'phone', token, 'arn:aws:sns:us-east-1:1:endpoint/GCM/app/1');
      expect((await repo.devices.get(a, 'phone'))?.endpointArn).toBe('arn:aws:sns:us-east-1:1:endpoint/GCM/app/1');
      expect(await repo.devices.remove(a, 'phone')).toMatchObject({ deviceId: 'phone', token });
      expect(await repo.devices.remove(a, 'phone')).toBeUndefined();
      expect(await repo.devices.holderOf('fcm', token)).toBeUndefined();
      expect(await repo.devices.list(a)).toEqual([]);
    });

    it('moves a token: the previous holder goes in the same write; a stale holder read writes nothing', async () => {
      const [a, b, c, token] = [uid('u'), uid('u'), uid('u'), uid('tok')];
      const first = device(a, 'phone', token);
      await repo.devices.register(first, [], undefined);
      expect(await repo.devices.register(device(b, 'p', token), [], undefined)).toBe(false);
      expect(await repo.devices.register(device(b, 'p', token), [first], { userId: a, deviceId: 'phone' })).toBe(true);
      expect(await repo.devices.list(a)).toEqual([]);
      expect(await repo.devices.holderOf('fcm', token)).toEqual({ userId: b, deviceId: 'p' });
      // c read the old holder: refused, nothing written.
      expect(await repo.devices.register(device(c, 'x', token), [first], { userId: a, deviceId: 'phone' })).toBe(false);
      expect(await repo.devices.list(c)).toEqual([]);
    });

    it('lets exactly one of two racing registrations of one token win', async () => {
      const [a, b, token] = [uid('u'), uid('u'), uid('tok')];
      const results = await Promise.all([repo.devices.register(device(a, 'd', token), [], undefined), repo.devices.register(device(b, 'd', token), [], undefined)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const holders = [...(await repo.devices.list(a)), ...(await repo.devices.list(b))];
      expect(holders).toHaveLength(1);
    });
  });
}
