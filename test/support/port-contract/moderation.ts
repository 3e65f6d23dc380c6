/** The contract of `ModerationStore`, `ChatBanStore` and `ReportStore` (SPEC §9). */
import { describe, expect, it } from 'vitest';
import type { Repository } from '../../../functions/domain/ports';
import type { ReportRecord } from '../../../functions/domain/types';
import { at, T0, uid, repositoryFor, type MakeRepository } from './fixtures';

export function moderationContract(makeRepo: MakeRepository) {
  describe('ModerationStore', () => {
    const repo = repositoryFor(makeRepo);

    it('keeps both sides of a block in step: blockedBy, blocking and the list; blocking twice writes nothing', async () => {
      const [a, b, c] = [uid('u'), uid('u'), uid('u')];
      expect(await repo.moderation.state(a)).toEqual({ userId: a, blockedBy: [], blocking: [] });
      expect(await repo.moderation.block(a, b, T0)).toBe(true);
      expect(await repo.moderation.block(a, b, at(5))).toBe(false);
      expect(await repo.moderation.block(c, b, at(1))).toBe(true);
      expect(await repo.moderation.state(b, true)).toEqual({ userId: b, blockedBy: [a, c].sort(), blocking: [] });
      expect(await repo.moderation.state(a, true)).toEqual({ userId: a, blockedBy: [], blocking: [b] });
      expect(await repo.moderation.blocks(a)).toEqual([{ blockerId: a, blockedId: b, blockedAt: T0 }]);
      expect(await repo.moderation.unblock(a, b)).toBe(true);
      expect(await repo.moderation.unblock(a, b)).toBe(false);
      expect(await repo.moderation.state(b, true)).toEqual({ userId: b, blockedBy: [c], blocking: [] });
      expect(await repo.moderation.state(a, true)).toEqual({ userId: a, blockedBy: [], blocking: [] });
      expect(await repo.moderation.blocks(a)).toEqual([]);
    });

    it('lists blocks oldest first', async () => {
      const [a, b, c] = [uid('u'), uid('u'), uid('u')];
      await repo.moderation.block(a, b, at(10));
      await repo.moderation.block(a, c, at(2));
      expect((await repo.moderation.blocks(a)).map((x) => x.blockedId)).toEqual([c, b]);
    });

    it('sets and lifts a platform ban, keeping blocks', async () => {
      const [a, b] = [uid('u'), uid('u')];
      await repo.moderation.block(b, a, T0);
      await repo.moderation.setBan(a, { at: T0, by: 'root', reason: 'spam' });
      expect(await repo.moderation.state(a, true)).toEqual({ userId: a, blockedBy: [b], blocking: [], ban: { at: T0, by: 'root', reason: 'spam' } });
      await repo.moderation.setBan(a, { at: at(1), by: 'root2' });
      expect((await repo.moderation.state(a, true)).ban).toEqual({ at: at(1), by: 'root2' });
      await repo.moderation.setBan(a, undefined);
      expect(await repo.moderation.state(a, true)).toEqual({ userId: a, blockedBy: [b], blocking: [] });
    });
  });

  describe('ChatBanStore', () => {
    const repo = repositoryFor(makeRepo);

    it('puts, replaces, reads many, lists oldest first and removes', async () => {
      const chatId = uid('chat');
      const [a, b] = [uid('u'), uid('u')];
      await repo.chatBans.put({ chatId, userId: a, bannedBy: 'o', createdAt: at(5), reason: 'x' });
      await repo.chatBans.put({ chatId, userId: b, bannedBy: 'o', createdAt: at(1), expiresAt: at(100) });
      await repo.chatBans.put({ chatId: uid('chat'), userId: a, bannedBy: 'o', createdAt: T0 });
      expect((await repo.chatBans.list(chatId)).map((x) => x.userId)).toEqual([b, a]);
      expect(await repo.chatBans.getMany(chatId, [b, uid('u')])).toEqual([{ chatId, userId: b, bannedBy: 'o', createdAt: at(1), expiresAt: at(100) }]);
      await repo.chatBans.put({ chatId, userId: a, bannedBy: 'p', createdAt: at(7) });
      expect(await repo.chatBans.getMany(chatId, [a])).toEqual([{ chatId, userId: a, bannedBy: 'p', createdAt: at(7) }]);
      expect(await repo.chatBans.getMany(chatId, [])).toEqual([]);
      expect(await repo.chatBans.remove(chatId, a)).toBe(true);
      expect(await repo.chatBans.remove(chatId, a)).toBe(false);
      expect((await repo.chatBans.list(chatId)).map((x) => x.userId)).toEqual([b]);
    });
  });

  describe('ReportStore', () => {
    const repo = repositoryFor(makeRepo);
    const report = (over: Partial<ReportRecord> = {}): ReportRecord => ({
      id: uid('r').replace(/-/g, ''),
      chatId: uid('chat'),
      messageId: uid('m'),
      reporterId: uid('u'),
      reason: 'spam',
      status: 'open',
      createdAt: T0,
      message: { id: 'm', senderId: uid('author'), content: 'as reported' },
      ...over,
    });

    it('stores one report per reporter and message: a repeat answers the first id and writes nothing', async () => {
      const first = report({ details: 'see this' });
      expect(await repo.reports.create(first)).toEqual({ created: true });
      const again = { ...first, id: uid('r').replace(/-/g, ''), reason: 'other' as const };
      expect(await repo.reports.create(again)).toEqual({ created: false, reportId: first.id });
      expect(await repo.reports.get(first.id, true)).toEqual(first);
      expect(await repo.reports.get(again.id, true)).toBeUndefined();
      // Another reporter of the same message is another report.
      expect(await repo.reports.create({ ...again, reporterId: uid('u') })).toEqual({ created: true });
    });

    it('lists a reporter\'s reports oldest first and removes one with its uniqueness (idempotently)', async () => {
      const reporterId = uid('u');
      const older = report({ reporterId, createdAt: at(1) });
      const newer = report({ reporterId, createdAt: at(2) });
      await repo.reports.create(newer);
      await repo.reports.create(older);
      await repo.reports.create(report());
      expect(await repo.reports.listByReporter(reporterId)).toEqual([older, newer]);
      await repo.reports.remove(older);
      await repo.reports.remove(older);
      expect(await repo.reports.get(older.id, true)).toBeUndefined();
      expect(await repo.reports.listByReporter(reporterId)).toEqual([newer]);
      // The uniqueness went too: the same reporter may report that message again.
      expect(await repo.reports.create({ ...older, id: uid('r').replace(/-/g, '') })).toEqual({ created: true });
      expect(await repo.reports.listByReporter(uid('nobody'))).toEqual([]);
    });

    it('pages the reports of an author\'s messages by key, in chat, message, reporter order; removing one ends its uniqueness there', async () => {
      const author = uid('author');
      const of = (chatId: string, messageId: string, over: Partial<ReportRecord> = {}) =>
        report({ chatId, messageId, message: { id: messageId, senderId: author, content: 'health data' }, ...over });
      const [c1, c2] = ['c1' + uid('c').replace(/-/g, ''), 'c2' + uid('c').replace(/-/g, '')];
      const mine = [of(c2, 'm1'), of(c1, 'm2'), of(c1, 'm1', { reporterId: 'r-b' }), of(c1, 'm1', { reporterId: 'r-a', status: 'resolved' })];
      for (const r of mine) expect(await repo.reports.create(r)).toEqual({ created: true });
      // Another author's report, in the same chat and under the same message id: not theirs.
      await repo.reports.create(report({ chatId: c1, messageId: 'm1' }));
      const seen: ReportRecord[] = [];
      let after: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await repo.reports.pageByAuthor(author, { limit: 3, after });
        expect(page.reports.length).toBeLessThanOrEqual(3);
        seen.push(...page.reports);
        if (!page.next) break;
        after = page.next;
      }
      expect(seen.map((r) => r.id)).toEqual([mine[3].id, mine[2].id, mine[1].id, mine[0].id]);
      expect(seen[0]).toEqual(mine[3]);
      expect(await repo.reports.pageByAuthor(uid('nobody'), { limit: 3 })).toEqual({ reports: [] });
      // The reports an author filed are not the reports of their messages, nor the other way round.
      expect(await repo.reports.listByReporter(author)).toEqual([]);
      await repo.reports.remove(mine[0]);
      expect((await repo.reports.pageByAuthor(author, { limit: 10 })).reports.map((r) => r.id)).toEqual([mine[3].id, mine[2].id, mine[1].id]);
      expect(await repo.reports.create({ ...mine[0], id: uid('r').replace(/-/g, '') })).toEqual({ created: true });
    });

    it('replaces a report\'s snapshot and nothing else; a missing report is not created', async () => {
      const r = report({ details: 'kept' });
      await repo.reports.create(r);
      await repo.reports.resolve(r.id, { status: 'resolved', resolvedAt: at(3), resolvedBy: 'root', action: 'none' });
      const erased = { id: 'm', senderId: r.message.senderId, content: '', attachments: [], reactions: {}, deletedAt: at(4) };
      expect(await repo.reports.replaceSnapshot(r.id, erased)).toBe(true);
      expect(await repo.reports.get(r.id, true)).toEqual({ ...r, status: 'resolved', resolvedAt: at(3), resolvedBy: 'root', action: 'none', message: erased });
      // Still one report per reporter and message, still in the queue's resolved part.
      expect(await repo.reports.create({ ...r, id: uid('r').replace(/-/g, '') })).toEqual({ created: false, reportId: r.id });
      expect((await everything(repo, { status: 'resolved' })).some((x) => x.id === r.id)).toBe(true);
      const missing = uid('r').replace(/-/g, '');
      expect(await repo.reports.replaceSnapshot(missing, erased)).toBe(false);
      expect(await repo.reports.get(missing, true)).toBeUndefined();
    });

    it('resolves an open report once', async () => {
      const r = report();
      await repo.reports.create(r);
      const change = { status: 'resolved' as const, resolvedAt: at(9), resolvedBy: 'root', action: 'delete_message' as const };
      const [one, two] = await Promise.all([repo.reports.resolve(r.id, change), repo.reports.resolve(r.id, { ...change, resolvedBy: 'other' })]);
      expect([one, two].filter(Boolean)).toHaveLength(1);
      expect(await repo.reports.get(r.id, true)).toMatchObject({ status: 'resolved', resolvedAt: at(9), action: 'delete_message' });
      expect(await repo.reports.resolve(r.id, change)).toBeUndefined();
      expect(await repo.reports.resolve(uid('missing'), change)).toBeUndefined();
    });

    it('pages the queue: open first, oldest first; a status narrows it', async () => {
      const mine = [
        report({ createdAt: at(30) }),
        report({ createdAt: at(10) }),
        report({ createdAt: at(20) }),
      ];
      for (const r of mine) await repo.reports.create(r);
      await repo.reports.resolve(mine[1].id, { status: 'dismissed', resolvedAt: at(40), resolvedBy: 'root', action: 'none' });
      const ids = new Set(mine.map((r) => r.id));
      const all = await everything(repo, {});
      const seen = all.filter((r) => ids.has(r.id)).map((r) => r.id);
      expect(seen).toEqual([mine[2].id, mine[0].id, mine[1].id]);
      const openOnes = await everything(repo, { status: 'open' });
      expect(openOnes.every((r) => r.status === 'open')).toBe(true);
      expect(openOnes.filter((r) => ids.has(r.id)).map((r) => r.id)).toEqual([mine[2].id, mine[0].id]);
      const dismissed = await everything(repo, { status: 'dismissed' });
      expect(dismissed.filter((r) => ids.has(r.id)).map((r) => r.id)).toEqual([mine[1].id]);
    });
  });
}

/** Every page of the queue, two at a time (other tests' reports share it). */
async function everything(repo: Repository, filter: { status?: ReportRecord['status'] }) {
  const out: ReportRecord[] = [];
  let start: Record<string, unknown> | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await repo.reports.page({ ...filter, limit: 2, start });
    out.push(...page.reports);
    if (!page.next) break;
    start = page.next;
  }
  return out;
}
