/** The contract of `ConnectionStore`, `SupportStore` and `RateLimitStore`. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatRecord, ConnectionRecord, SupportStatus } from '../../../functions/domain/types';
import { at, chatRecord, T0, uid, repositoryFor, type MakeRepository } from './fixtures';

export function connectionContract(makeRepo: MakeRepository) {
  describe('ConnectionStore', () => {
    const repo = repositoryFor(makeRepo);
    const soon = () => Math.floor(Date.now() / 1000) + 600;

    it('records a connection, reads it, and deletes it once, answering what was deleted', async () => {
      const connection: ConnectionRecord = { connectionId: `${uid('c')}=`, userId: uid('u'), name: 'Ada', roles: ['user', 'support'], connectedAt: T0, expiresAt: soon() };
      await repo.connections.put(connection);
      expect(await repo.connections.get(connection.connectionId)).toEqual(connection);
      expect(await repo.connections.delete(connection.connectionId)).toEqual(connection);
      expect(await repo.connections.delete(connection.connectionId)).toBeUndefined();
      expect(await repo.connections.get(connection.connectionId)).toBeUndefined();
    });

    it('keeps a user\'s live connections in their presence, with the time they were last seen', async () => {
      const [a, b, nobody] = [uid('u'), uid('u'), uid('u')];
      const expiresAt = soon();
      const ids = (p: { connections: { connectionId: string }[] }) => p.connections.map((c) => c.connectionId).sort();
      expect(ids(await repo.connections.addToPresence(a, 'c1=', expiresAt))).toEqual(['c1=']);
      const both = await repo.connections.addToPresence(a, 'c2/', expiresAt);
      expect(ids(both)).toEqual(['c1=', 'c2/']);
      expect(both.connections.find((c) => c.connectionId === 'c2/')?.expiresAt).toBe(expiresAt);
      await repo.connections.addToPresence(b, 'c3', expiresAt);
      const left = await repo.connections.removeFromPresence(a, 'c1=', at(10));
      expect(left).toMatchObject({ userId: a, lastSeenAt: at(10) });
      expect(ids(left)).toEqual(['c2/']);
      const presence = await repo.connections.getPresence([a, b, nobody]);
      expect([...presence.keys()].sort()).toEqual([a, b, nobody].sort());
      expect(presence.get(a)).toMatchObject({ userId: a, lastSeenAt: at(10), connections: [{ connectionId: 'c2/', expiresAt }] });
      expect(ids(presence.get(b)!)).toEqual(['c3']);
      expect(presence.get(nobody)).toMatchObject({ userId: nobody, connections: [] });
      expect((await repo.connections.removeFromPresence(nobody, 'never', at(11))).connections).toEqual([]);
    });

    it('prunes entries that expired without a disconnect when the user connects again', async () => {
      const a = uid('u');
      await repo.connections.addToPresence(a, 'old', Math.floor(Date.now() / 1000) - 10);
      const presence = await repo.connections.addToPresence(a, 'new', soon());
      expect(presence.connections.map((c) => c.connectionId)).toEqual(['new']);
      expect((await repo.connections.getPresence([a])).get(a)!.connections.map((c) => c.connectionId)).toEqual(['new']);
    });
  });
}

export function supportContract(makeRepo: MakeRepository) {
  describe('SupportStore', () => {
    // A repository of its own (as for every store): the queue and the directory are global.
    const repo = repositoryFor(makeRepo);
    let chats: ChatRecord[];
    const agents = ['agent-a', 'agent-b'];
    beforeAll(async () => {
      await Promise.all([
        ...agents.map((id) => repo.users.touch({ userId: id, name: id, roles: ['user', 'support'] }, T0)),
        repo.users.touch({ userId: 'plain-user', name: 'plain', roles: ['user'] }, T0),
        repo.users.touch({ userId: 'demoted', name: 'demoted', roles: ['user', 'support'] }, T0),
      ]);
      await repo.users.touch({ userId: 'demoted', name: 'demoted', roles: ['user'] }, at(1));
      const support = (status: SupportStatus, seconds: number, assigneeId: string | null) =>
        chatRecord({ type: 'support', status, assigneeId, createdAt: at(seconds), requesterId: uid('requester') });
      chats = [
        support('open', 3, 'agent-a'),
        support('open', 1, null),
        support('waiting', 2, 'agent-a'),
        support('closed', 0, 'agent-b'),
        support('open', 2, 'agent-b'),
      ];
      for (const chat of chats) await repo.chats.create(chat, []);
      // Not in the queue: a group chat.
      await repo.chats.create(chatRecord({ type: 'group' }), []);
    });
    const ids = (...indexes: number[]) => indexes.map((i) => chats[i].id);

    async function allPages(filter: { status?: SupportStatus; assigneeId?: string | null }, limit: number): Promise<string[]> {
      const out: string[] = [];
      let start: Record<string, unknown> | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const page = await repo.support.queuePage({ ...filter, limit, start });
        expect(page.chatIds.length).toBeLessThanOrEqual(limit);
        out.push(...page.chatIds);
        if (!page.next) return out;
        start = page.next;
      }
      throw new Error('the queue never ended');
    }

    it('pages the queue by status, then age', async () => {
      const everything = ids(3, 1, 4, 0, 2);
      expect((await repo.support.queuePage({ limit: 10 })).chatIds).toEqual(everything);
      expect(await allPages({}, 2)).toEqual(everything);
      expect(await allPages({}, 1)).toEqual(everything);
      expect(await allPages({ status: 'open' }, 2)).toEqual(ids(1, 4, 0));
      expect(await allPages({ status: 'resolved' }, 2)).toEqual([]);
    });

    it('pages one agent\'s chats, or the unassigned ones', async () => {
      expect(await allPages({ assigneeId: 'agent-a' }, 1)).toEqual(ids(0, 2));
      expect(await allPages({ assigneeId: 'agent-a', status: 'waiting' }, 5)).toEqual(ids(2));
      expect(await allPages({ assigneeId: null }, 5)).toEqual(ids(1));
      expect(await allPages({ assigneeId: 'nobody' }, 5)).toEqual([]);
    });

    it('counts an agent\'s chats that are not closed, lists the agents, and every support chat\'s entry', async () => {
      expect(await repo.support.openCountForAgent('agent-a')).toBe(2);
      expect(await repo.support.openCountForAgent('agent-b')).toBe(1);
      expect(await repo.support.openCountForAgent('nobody')).toBe(0);
      expect((await repo.support.agents()).sort()).toEqual(agents);
      const entries = await repo.support.entries();
      expect(entries.sort((x, y) => x.chatId.localeCompare(y.chatId))).toEqual(
        chats
          .map((c) => ({ chatId: c.id, status: c.status, createdAt: c.createdAt, assigneeId: c.assigneeId }))
          .sort((x, y) => x.chatId.localeCompare(y.chatId)),
      );
    });

    it('moves a chat in the queue when its status or assignee changes, and records its first response', async () => {
      const chat = chatRecord({ type: 'support', status: 'open', assigneeId: null, createdAt: at(9) });
      await repo.chats.create(chat, []);
      expect(await allPages({ assigneeId: null }, 5)).toEqual([...ids(1), chat.id]);
      const assigned = await repo.chats.update(chat, { assigneeId: 'agent-b', status: 'waiting' }, { expect: { assigneeId: null } });
      expect(await allPages({ assigneeId: null }, 5)).toEqual(ids(1));
      expect(await allPages({ assigneeId: 'agent-b', status: 'waiting' }, 5)).toEqual([chat.id]);
      expect(await repo.support.openCountForAgent('agent-b')).toBe(2);
      await repo.chats.recordFirstResponse(chat.id, at(19), 10);
      expect((await repo.support.entries()).find((e) => e.chatId === chat.id)).toEqual({ chatId: chat.id, status: 'waiting', createdAt: at(9), assigneeId: 'agent-b', firstResponseSeconds: 10 });
      await repo.chats.update(assigned!, { status: 'closed' });
      expect(await repo.support.openCountForAgent('agent-b')).toBe(1);
      expect((await allPages({ status: 'closed' }, 5)).sort()).toEqual([...ids(3), chat.id].sort());
    });
  });
}

export function rateLimitContract(makeRepo: MakeRepository) {
  describe('RateLimitStore', () => {
    const repo = repositoryFor(makeRepo);

    it('counts a fixed window per user: the limit holds under concurrency, and the next window starts afresh', async () => {
      const [user, other] = [uid('u'), uid('u')];
      const now = new Date('2026-05-05T10:00:30Z');
      const results = await Promise.all(Array.from({ length: 8 }, () => repo.rateLimits.take(user, 60, 5, now)));
      expect(results.filter((r) => r.allowed)).toHaveLength(5);
      expect(results.map((r) => r.retryAfterSeconds)).toEqual(Array(8).fill(30));
      expect(await repo.rateLimits.take(user, 60, 5, new Date('2026-05-05T10:00:59.900Z'))).toEqual({ allowed: false, retryAfterSeconds: 1 });
      expect(await repo.rateLimits.take(user, 60, 5, new Date('2026-05-05T10:01:00Z'))).toEqual({ allowed: true, retryAfterSeconds: 60 });
      expect(await repo.rateLimits.take(other, 60, 5, now)).toEqual({ allowed: true, retryAfterSeconds: 30 });
    });
  });
}
