/** Port contract for pins (SPEC §4): one pin per message, the chat's limit under concurrency, deleted messages refused. */
import { describe, expect, it } from 'vitest';
import { at, chatWith, messageRecord, repositoryFor, type MakeRepository } from './fixtures';

export function pinContract(makeRepo: MakeRepository) {
  describe('PinStore', () => {
    const repo = repositoryFor(makeRepo);

    it('pins once, lists, unpins once; refuses other ids and deleted messages', async () => {
      const chat = await chatWith(repo, ['u1']);
      const m = messageRecord(chat.id, 1);
      await repo.messages.putAtomically(m);
      const target = { chatId: chat.id, seq: 1, id: m.id };
      expect(await repo.pins.pin(target, { pinnedBy: 'u1', pinnedAt: at(1), max: 50 })).toBe('pinned');
      expect(await repo.pins.pin(target, { pinnedBy: 'u2', pinnedAt: at(2), max: 50 })).toBe('already');
      expect(await repo.messages.get(chat.id, 1, true)).toMatchObject({ pinnedAt: at(1), pinnedBy: 'u1' });
      expect(await repo.pins.list(chat.id)).toEqual([{ seq: 1, messageId: m.id, pinnedAt: at(1), pinnedBy: 'u1' }]);
      expect(await repo.pins.pin({ ...target, id: 'other-1' }, { pinnedBy: 'u1', pinnedAt: at(1), max: 50 })).toBe('missing');
      expect(await repo.pins.unpin(target)).toBe(true);
      expect(await repo.pins.unpin(target)).toBe(false);
      expect((await repo.messages.get(chat.id, 1, true))?.pinnedAt).toBeUndefined();
      expect(await repo.pins.list(chat.id)).toEqual([]);
      await repo.messages.softDelete(target, at(3));
      expect(await repo.pins.pin(target, { pinnedBy: 'u1', pinnedAt: at(4), max: 50 })).toBe('missing');
    });

    it('keeps the limit when pins race', async () => {
      const chat = await chatWith(repo, ['u1']);
      const messages = [1, 2, 3, 4].map((seq) => messageRecord(chat.id, seq));
      for (const m of messages) await repo.messages.putAtomically(m);
      const results = await Promise.all(messages.map((m) => repo.pins.pin({ chatId: chat.id, seq: m.seq, id: m.id }, { pinnedBy: 'u1', pinnedAt: at(m.seq), max: 2 })));
      expect(results.filter((r) => r === 'pinned')).toHaveLength(2);
      expect(await repo.pins.list(chat.id)).toHaveLength(2);
      const unpinned = messages.find((m) => results[messages.indexOf(m)] === 'pinned')!;
      await repo.pins.unpin({ chatId: chat.id, seq: unpinned.seq, id: unpinned.id });
      const free = messages.find((m) => results[messages.indexOf(m)] !== 'pinned')!;
      expect(await repo.pins.pin({ chatId: chat.id, seq: free.seq, id: free.id }, { pinnedBy: 'u1', pinnedAt: at(9), max: 2 })).toBe('pinned');
    });
  });
}
