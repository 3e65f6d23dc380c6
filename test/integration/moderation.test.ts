/**
 * Moderation on DynamoDB Local (SPEC §9), where the transactions and
 * conditions are the real ones: blocking while sends are in flight, two
 * admins resolving one report, concurrent repeats of one report, a ban
 * racing a connect, and the cost of a send (one moderation GetItem).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { reportedMessageKey } from '../../functions/data/keys';
import { createRepository } from '../../functions/data/repository';
import { blockUser, unblockUser } from '../../functions/domain/blocks';
import { createChat } from '../../functions/domain/chats';
import { requestErasure, runErasure } from '../../functions/domain/erasure';
import { connect } from '../../functions/domain/connections';
import { listMessages, sendMessage } from '../../functions/domain/messages';
import type { Repository } from '../../functions/domain/ports';
import { reportMessage, resolveReport } from '../../functions/domain/reports';
import type { Principal } from '../../functions/domain/types';
import { putUser } from '../../functions/domain/users';
import { codeOf } from '../support/errors';
import { dynamoContext, freshTable, registerUsers, type CountedDb } from '../support/dynamo';

let db: CountedDb;
let repo: Repository;
beforeAll(async () => {
  db = await freshTable();
  repo = createRepository(db);
});

let n = 0;
async function people(count: number, roles: ('admin' | 'support')[] = []): Promise<Principal[]> {
  const run = n++;
  return registerUsers(repo, Array.from({ length: count }, (_, i) => `m${run}-${i}`), roles);
}

describe('moderation on DynamoDB', () => {
  it('blocking while sends are in flight: every stored message is a placeholder for the blocker afterwards, seq gap-free', async () => {
    const [ada, bob, cyd] = await people(3);
    const { ctx } = dynamoContext(db, { messagesPerMinute: 1000 });
    const { chat } = await createChat(ctx, ada, { type: 'group', participantIds: [bob.userId, cyd.userId], title: 'G' });
    const sends = Array.from({ length: 8 }, (_, i) => sendMessage(ctx, bob, chat.id, { content: `m${i}` }));
    await Promise.all([...sends, blockUser(ctx, ada, bob.userId)]);
    const page = (await listMessages(ctx, ada, chat.id, { limit: 50 })).messages;
    expect(page.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(page.every((m) => m.hidden === true && m.content === '')).toBe(true);
    expect((await listMessages(ctx, cyd, chat.id, { limit: 50 })).messages.every((m) => m.content.startsWith('m'))).toBe(true);
    await unblockUser(ctx, ada, bob.userId);
    expect((await listMessages(ctx, ada, chat.id, { limit: 50 })).messages.some((m) => m.hidden)).toBe(false);
  });

  it('blocking while a direct send is in flight: the send either lands before the block or answers 403; later sends answer 403 both ways', async () => {
    const [ada, bob] = await people(2);
    const { ctx } = dynamoContext(db, { messagesPerMinute: 1000 });
    const { chat } = await createChat(ctx, ada, { type: 'direct', participantIds: [bob.userId] });
    const [send] = await Promise.allSettled([sendMessage(ctx, bob, chat.id, { content: 'racing' }), blockUser(ctx, ada, bob.userId)]);
    if (send.status === 'rejected') expect((send.reason as { code: string }).code).toBe('blocked');
    expect(await codeOf(sendMessage(ctx, bob, chat.id, { content: 'after' }))).toBe('403 blocked');
    expect(await codeOf(sendMessage(ctx, ada, chat.id, { content: 'after' }))).toBe('403 blocked');
  });

  it('a send reads one moderation item whatever the number of blockers', async () => {
    const members = await people(12);
    const [sender, ...rest] = members;
    const { ctx } = dynamoContext(db, { messagesPerMinute: 1000 });
    const { chat } = await createChat(ctx, sender, { type: 'group', participantIds: rest.map((p) => p.userId), title: 'G' });
    for (const blocker of rest.slice(0, 10)) await blockUser(ctx, blocker, sender.userId);
    db.reset();
    await sendMessage(ctx, sender, chat.id, { content: 'count me' });
    const moderationReads = db.calls.filter((c) => (c.command === 'GetCommand' || c.command === 'GetItemCommand') && JSON.stringify(c.input).includes('MODERATION'));
    expect(moderationReads, JSON.stringify(db.calls.map((c) => [c.command, c.input]))).toHaveLength(1);
  });

  it('two admins resolving one report at once: one wins, the other gets 409, the message is deleted once', async () => {
    const [ana, ben] = await people(2);
    const [root1, root2] = await people(2, ['admin']);
    const { ctx, notifier } = dynamoContext(db, { messagesPerMinute: 1000 });
    const { chat } = await createChat(ctx, ana, { type: 'direct', participantIds: [ben.userId] });
    const { message } = await sendMessage(ctx, ben, chat.id, { content: 'report me' });
    const { report } = await reportMessage(ctx, ana, chat.id, message.id, { reason: 'harassment' });
    notifier.sent.splice(0);
    const results = await Promise.allSettled([
      resolveReport(ctx, root1, report.id, { status: 'resolved', action: 'delete_message' }),
      resolveReport(ctx, root2, report.id, { status: 'resolved', action: 'ban_user' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((failed.reason as { status: number }).status).toBe(409);
    const stored = await repo.reports.get(report.id, true);
    expect(stored!.status).toBe('resolved');
    // Only the winner's action ran.
    const banned = (await repo.moderation.state(ben.userId, true)).ban !== undefined;
    const deleted = notifier.ofType('message.deleted').length;
    if (stored!.action === 'ban_user') expect([banned, deleted]).toEqual([true, 0]);
    else expect([banned, deleted]).toEqual([false, 1]);
  });

  it('the same report sent three times at once stores one report', async () => {
    const [ana, ben] = await people(2);
    const { ctx, bus } = dynamoContext(db, { messagesPerMinute: 1000, writesPerMinute: 1000 });
    const { chat } = await createChat(ctx, ana, { type: 'direct', participantIds: [ben.userId] });
    const { message } = await sendMessage(ctx, ben, chat.id, { content: 'spam spam' });
    const results = await Promise.all([1, 2, 3].map(() => reportMessage(ctx, ana, chat.id, message.id, { reason: 'spam' })));
    expect(new Set(results.map((r) => r.report.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(bus.ofType('chat.report.created')).toHaveLength(1);
    expect(results[0].report.message).toMatchObject({ id: message.id, content: 'spam spam' });
  });

  it('erasing an author empties the snapshots of reports of their messages, found by key (no Scan); erasing the reporter then deletes the uniqueness item in the author\'s partition', async () => {
    const [ana, ben, cyd] = await people(3);
    const [root] = await people(1, ['admin']);
    const { ctx } = dynamoContext(db, { messagesPerMinute: 1000, writesPerMinute: 1000 });
    const { chat } = await createChat(ctx, ana, { type: 'group', participantIds: [ben.userId, cyd.userId], title: 'G' });
    const { message } = await sendMessage(ctx, ben, chat.id, { content: 'my diagnosis', metadata: { ward: 3 } });
    const cyds = await sendMessage(ctx, cyd, chat.id, { content: 'cyd stays' });
    const { report } = await reportMessage(ctx, ana, chat.id, message.id, { reason: 'harassment', details: 'see this' });
    const other = await reportMessage(ctx, ana, chat.id, cyds.message.id, { reason: 'spam' });
    const uniqueness = reportedMessageKey(ben.userId, chat.id, message.id, ana.userId);
    const rawUnique = async () => (await db.client.send(new GetCommand({ TableName: db.table, Key: uniqueness, ConsistentRead: true }))).Item;
    expect(await rawUnique()).toMatchObject({ reportId: report.id });

    const { erasure } = await requestErasure(ctx, root, ben.userId);
    db.reset();
    expect(await runErasure(ctx, erasure.id)).toBe('done');
    expect(db.calls.filter((c) => c.command.startsWith('Scan'))).toEqual([]);
    const stored = await repo.reports.get(report.id, true);
    expect(stored).toMatchObject({ reporterId: ana.userId, reason: 'harassment', details: 'see this', status: 'open' });
    expect(stored!.message).toMatchObject({ id: message.id, senderId: ben.userId, content: '', attachments: [], reactions: {}, deletedAt: expect.any(String) });
    expect(JSON.stringify(stored)).not.toMatch(/diagnosis|ward/);
    expect((await repo.reports.get(other.report.id, true))!.message).toMatchObject({ content: 'cyd stays' });

    // The step again writes no report.
    await repo.erasures.save({ ...(await repo.erasures.get(erasure.id))!, status: 'running', checkpoint: { step: 'reported' } });
    db.reset();
    expect(await runErasure(ctx, erasure.id)).toBe('done');
    expect(db.calls.filter((c) => c.command === 'UpdateCommand' && JSON.stringify(c.input).includes('REPORT#'))).toEqual([]);
    expect(await repo.reports.get(report.id, true)).toEqual(stored);

    const { erasure: reporter } = await requestErasure(ctx, root, ana.userId);
    expect(await runErasure(ctx, reporter.id)).toBe('done');
    expect(await repo.reports.get(report.id, true)).toBeUndefined();
    expect(await rawUnique()).toBeUndefined();
  });

  it('a ban racing a connect leaves no open connection of the banned user', async () => {
    const [eve] = await people(1);
    const [root] = await people(1, ['admin']);
    const { ctx } = dynamoContext(db);
    const [connected] = await Promise.allSettled([connect(ctx, eve, `conn-${n}-a`, 3600), putUser(ctx, eve.userId, { banned: true }, root)]);
    const presence = (await repo.connections.getPresence([eve.userId])).get(eve.userId);
    const open = (presence?.connections ?? []).length;
    if (connected.status === 'fulfilled') {
      // The connect won the race: the ban must have seen and closed it.
      expect(open).toBe(0);
    } else {
      expect((connected.reason as { code: string }).code).toBe('banned');
      expect(open).toBe(0);
    }
  });
});
