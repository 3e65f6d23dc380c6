/**
 * Port contract for data governance (SPEC §10): one erasure per user,
 * progress saved and read back strongly, exports, former memberships left
 * by a leave, the erased directory entry that no touch brings back, and
 * presence deletion.
 */
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import type { ErasureRecord } from '../../../functions/domain/ports';
import { at, chatWith, repositoryFor, uid, type MakeRepository } from './fixtures';

const erasure = (userId: string, over: Partial<ErasureRecord> = {}): ErasureRecord => ({
  id: ulid(),
  userId,
  status: 'pending',
  requestedBy: userId,
  requestedAt: at(0),
  messagesErased: 0,
  chatsLeft: 0,
  reactionsRemoved: 0,
  checkpoint: { step: 'profile' },
  ...over,
});

export function governanceContract(makeRepo: MakeRepository) {
  describe('ErasureStore', () => {
    const repo = repositoryFor(makeRepo);

    it('creates one erasure per user: a second create (even racing) answers the first, writing nothing', async () => {
      const userId = uid('erased');
      const [a, b] = await Promise.all([repo.erasures.create(erasure(userId)), repo.erasures.create(erasure(userId))]);
      expect([a.created, b.created].sort()).toEqual([false, true]);
      expect(a.erasure.id).toBe(b.erasure.id);
      const third = await repo.erasures.create(erasure(userId));
      expect(third).toEqual({ created: false, erasure: a.erasure });
      expect(await repo.erasures.get(ulid())).toBeUndefined();
    });

    it('saves progress and reads it back as saved (the checkpoint the worker resumes from)', async () => {
      const { erasure: e } = await repo.erasures.create(erasure(uid('erased')));
      const progress: ErasureRecord = { ...e, status: 'running', startedAt: at(1), messagesErased: 120, chatsLeft: 3, reactionsRemoved: 4, checkpoint: { step: 'chats', chatId: 'c1', afterSeq: 100 } };
      await repo.erasures.save(progress);
      expect(await repo.erasures.get(e.id)).toEqual(progress);
    });
  });

  describe('ExportStore', () => {
    const repo = repositoryFor(makeRepo);

    it('creates once, saves, reads back', async () => {
      const record = { id: ulid(), userId: uid('u'), requestedBy: uid('admin'), status: 'pending' as const, createdAt: at(0) };
      await repo.exports.create(record);
      await expect(repo.exports.create(record)).rejects.toThrow();
      expect(await repo.exports.get(record.id)).toEqual(record);
      const done = { ...record, status: 'done' as const, key: `exports/${record.userId}/${record.id}.json`, bytes: 42, finishedAt: at(5), expiresAt: 1_900_000_000 };
      await repo.exports.save(done);
      expect(await repo.exports.get(record.id)).toEqual(done);
    });
  });

  describe('governance parts of the user, membership and connection stores', () => {
    const repo = repositoryFor(makeRepo);

    it('a leave leaves a former membership; forgetting it drops it', async () => {
      const userId = uid('leaver');
      const chat = await chatWith(repo, [userId, uid('stays')]);
      expect(await repo.memberships.listFormer(userId)).toEqual([]);
      expect(await repo.memberships.remove(chat.id, userId)).toBe(true);
      expect(await repo.memberships.listFormer(userId)).toEqual([chat.id]);
      await repo.memberships.forgetFormer(userId, chat.id);
      expect(await repo.memberships.listFormer(userId)).toEqual([]);
    });

    it('an erased entry is "Deleted user" without email or roles, and a later touch does not bring it back', async () => {
      const userId = uid('erased');
      await repo.users.touch({ userId, name: 'Ada', roles: ['user', 'support'], email: 'ada@example.com' }, at(0));
      expect(await repo.users.isErased(userId)).toBe(false);
      await repo.users.erase(userId, at(1));
      expect(await repo.users.isErased(userId, 60)).toBe(true);
      await repo.users.touch({ userId, name: 'Ada again', roles: ['user', 'support'], email: 'ada@example.com' }, at(2));
      const entry = await repo.users.get(userId);
      expect(entry).toMatchObject({ id: userId, name: 'Deleted user', roles: ['user'], deleted: true });
      expect(entry?.email).toBeUndefined();
      expect(await repo.support.agents(new Date(at(3)))).not.toContain(userId);
    });

    it('deletes a presence item', async () => {
      const userId = uid('present');
      await repo.connections.addToPresence(userId, 'conn-1', 4_000_000_000);
      await repo.connections.removeFromPresence(userId, 'conn-1', at(1));
      expect((await repo.connections.getPresence([userId])).get(userId)?.lastSeenAt).toBe(at(1));
      await repo.connections.deletePresence(userId);
      expect((await repo.connections.getPresence([userId])).get(userId)).toMatchObject({ connections: [] });
      expect((await repo.connections.getPresence([userId])).get(userId)?.lastSeenAt).toBeUndefined();
    });
  });
}
