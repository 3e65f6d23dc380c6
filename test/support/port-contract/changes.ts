/** The contract of `ChangeStore` (the sync change log, SPEC §7). */
import { monotonicFactory } from 'ulid';
import { describe, expect, it } from 'vitest';
import type { ChangeEntry, ServerEvent } from '../../../functions/domain/ports';
import { at, chatWith, member, repositoryFor, T0, uid, type MakeRepository } from './fixtures';

const nextId = monotonicFactory();

function entry(event: Partial<ServerEvent> & { chatId?: string }, over: Partial<ChangeEntry> = {}): ChangeEntry {
  return { id: nextId(), event: { type: 'message.deleted', messageId: 'm', seq: 1, at: T0, chatId: 'c', ...event } as ServerEvent, expiresAt: 2_000_000_000, ...over };
}

export function changeContract(makeRepo: MakeRepository) {
  describe('ChangeStore', () => {
    const repo = repositoryFor(makeRepo);

    it('keeps a chat\'s entries in id order and pages through a range, saying when there is more', async () => {
      const chatId = uid('chat');
      const entries = Array.from({ length: 7 }, (_, i) => entry({ chatId, seq: i + 1 }));
      // Written out of order, concurrently: the log is ordered by id, not by arrival.
      await Promise.all([...entries].reverse().map((e) => repo.changes.appendToChat(chatId, e)));
      const first = await repo.changes.chatEntries(chatId, { after: '0', limit: 3 });
      expect(first).toEqual({ entries: entries.slice(0, 3), more: true });
      const rest = await repo.changes.chatEntries(chatId, { after: entries[2].id, limit: 10 });
      expect(rest).toEqual({ entries: entries.slice(3), more: false });
      const bounded = await repo.changes.chatEntries(chatId, { after: entries[0].id, upTo: entries[3].id, limit: 10 });
      expect(bounded).toEqual({ entries: entries.slice(1, 4), more: false });
      const boundedPage = await repo.changes.chatEntries(chatId, { after: entries[0].id, upTo: entries[5].id, limit: 2 });
      expect(boundedPage).toEqual({ entries: entries.slice(1, 3), more: true });
      expect(await repo.changes.chatEntries(uid('chat'), { after: '0', limit: 5 })).toEqual({ entries: [], more: false });
      // A time prefix (10 characters) is below every id of that millisecond.
      expect((await repo.changes.chatEntries(chatId, { after: entries[4].id.slice(0, 10), limit: 10 })).entries.map((e) => e.id)).toContain(entries[4].id);
    });

    it('reads a user\'s memberships and their own entries after a position in one call', async () => {
      const [ada, bob] = [uid('u'), uid('u')];
      const chat = await chatWith(repo, [ada, bob]);
      const old = entry({ type: 'membership.updated', chatId: chat.id, archived: true, notificationLevel: 'all' } as Partial<ServerEvent>);
      const removal = entry({ type: 'participant.removed', chatId: chat.id, userId: ada } as Partial<ServerEvent>, { joinedAt: at(5) });
      await repo.changes.appendToUsers([ada], old);
      await repo.changes.appendToUsers([ada, bob, ada], removal);
      const all = await repo.changes.userState(ada, '0');
      expect(all.memberships).toEqual([member(chat.id, ada)]);
      expect(all.entries).toEqual([old, removal]);
      expect((await repo.changes.userState(ada, old.id)).entries).toEqual([removal]);
      expect((await repo.changes.userState(bob, '0')).entries).toEqual([removal]);
      const nobody = await repo.changes.userState(uid('u'), '0');
      expect(nobody).toEqual({ memberships: [], entries: [] });
      // The user's log is not a membership: listing chats does not see it.
      expect(await repo.memberships.listByUser(ada)).toEqual([member(chat.id, ada)]);
    });

    it('moves a chat\'s head forward only, never creates a chat, and reads it as the later of changedAt and updatedAt', async () => {
      const chat = await chatWith(repo, [uid('u')], { updatedAt: at(10) });
      const missing = uid('chat');
      expect(await repo.changes.heads([chat.id, missing])).toEqual(new Map([[chat.id, at(10)]]));
      await repo.changes.touchChat(chat.id, at(20));
      await repo.changes.touchChat(chat.id, at(15));
      await repo.changes.touchChat(missing, at(20));
      expect(await repo.changes.heads([chat.id, missing])).toEqual(new Map([[chat.id, at(20)]]));
      await repo.chats.recordMessage(chat.id, { id: 'm', seq: 1, senderId: 'x', type: 'text', content: 'x', createdAt: at(30) });
      expect(await repo.changes.heads([chat.id])).toEqual(new Map([[chat.id, at(30)]]));
      expect((await repo.chats.getMany([missing]))).toEqual([]);
    });

    it('reads heads of many chats (more than one BatchGetItem)', async () => {
      const chats = [];
      for (let i = 0; i < 12; i++) chats.push(...(await Promise.all(Array.from({ length: 10 }, () => chatWith(repo, [uid('u')])))));
      const heads = await repo.changes.heads(chats.map((c) => c.id));
      expect(heads.size).toBe(120);
    });
  });
}
