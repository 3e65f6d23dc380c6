/**
 * Group management and the support desk on DynamoDB Local: the
 * transactions, conditions and index keys behind them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createRepository } from '../../functions/data/repository';
import { createChat } from '../../functions/domain/chats';
import { addParticipants, removeParticipant, updateChat } from '../../functions/domain/groups';
import { sendMessage } from '../../functions/domain/messages';
import { assignChat, openSupportChat, supportQueue, supportStats } from '../../functions/domain/support';
import type { Repository } from '../../functions/domain/ports';
import { codeOf } from '../support/errors';
import { dynamoContext, freshTable, registerUsers, type CountedDb } from '../support/dynamo';

let db: CountedDb;
let repo: Repository;
beforeAll(async () => {
  db = await freshTable();
  repo = createRepository(db);
});

const participantCount = async (chatId: string) => (await repo.chats.getWithMembership(chatId, 'nobody')).chat?.participantCount;

const users = (ids: string[], roles: ('support' | 'admin')[] = []) => registerUsers(repo, ids, roles);

describe('groups', () => {
  it('adds members in several transactions and stops at the size limit', async () => {
    const ids = Array.from({ length: 160 }, (_, i) => `grp-${i}`);
    const [owner, ...rest] = await users(ids);
    const { ctx } = dynamoContext(db, { maxGroupSize: 155 });
    const { chat } = await createChat(ctx, owner, { type: 'group', participantIds: [rest[0].userId] });
    await addParticipants(ctx, owner, chat.id, { userIds: ids.slice(2, 150) });
    expect(await participantCount(chat.id)).toBe(150);
    expect(await codeOf(addParticipants(ctx, owner, chat.id, { userIds: ids.slice(150, 160) }))).toBe('400 bad_request');
    expect(await participantCount(chat.id)).toBe(150);
    await removeParticipant(ctx, owner, chat.id, ids[5]);
    expect(await participantCount(chat.id)).toBe(149);
    expect(await codeOf(sendMessage(ctx, rest[4], chat.id, { content: 'x' }))).toBe('404 not_found');
  });
});

describe('support desk', () => {
  it('opens one chat per requester under concurrency, assigns by load through the role index, frees it on close', async () => {
    const [agentA, agentB] = await users(['sd-agent-a', 'sd-agent-b'], ['support']);
    const [root] = await users(['sd-root'], ['admin']);
    const [f1, f2, f3] = await users(['sd-f1', 'sd-f2', 'sd-f3']);
    const { ctx } = dynamoContext(db);
    expect((await repo.support.agents()).sort()).toEqual(['sd-agent-a', 'sd-agent-b']);

    const racing = await Promise.all([openSupportChat(ctx, f1, { subject: 'one' }), openSupportChat(ctx, f1, { subject: 'one' })]);
    expect(racing[0].chat.id).toBe(racing[1].chat.id);
    expect(racing.filter((r) => r.created)).toHaveLength(1);
    const c1 = racing[0].chat;
    expect(c1.assigneeId).toBe('sd-agent-a');
    const c2 = (await openSupportChat(ctx, f2, {})).chat;
    expect(c2.assigneeId).toBe('sd-agent-b');
    expect(await repo.support.openCountForAgent('sd-agent-a')).toBe(1);

    await sendMessage(ctx, agentA, c1.id, { content: 'answer' });
    await updateChat(ctx, agentA, c1.id, { status: 'closed' });
    expect(await repo.support.openCountForAgent('sd-agent-a')).toBe(0);
    const c3 = (await openSupportChat(ctx, f1, {})).chat;
    expect(c3.id).not.toBe(c1.id);
    expect(c3.assigneeId).toBe('sd-agent-a');

    const c4 = (await openSupportChat(ctx, f3, {})).chat;
    await assignChat(ctx, root, c4.id, 'sd-agent-b');
    const ids = (r: { chats: { id: string }[] }) => r.chats.map((c) => c.id);
    expect(ids(await supportQueue(ctx, agentB, { limit: 10, assigneeId: 'sd-agent-b' }))).toEqual([c2.id, c4.id]);
    expect(ids(await supportQueue(ctx, agentB, { limit: 10, status: 'closed' }))).toEqual([c1.id]);
    const firstPage = await supportQueue(ctx, agentB, { limit: 2 });
    const secondPage = await supportQueue(ctx, agentB, { limit: 10, cursor: firstPage.nextCursor! });
    expect([...ids(firstPage), ...ids(secondPage)]).toEqual([c1.id, c2.id, c3.id, c4.id]);

    const stats = await supportStats(ctx);
    expect(stats).toMatchObject({ byStatus: { open: 3, closed: 1 }, openPerAgent: { 'sd-agent-a': 1, 'sd-agent-b': 2 }, total: 4 });
    expect(stats.medianFirstResponseSeconds).toEqual(expect.any(Number));
  });

  it('keeps message sends from writing to the support indexes', async () => {
    const [agent] = await users(['idx-agent'], ['support']);
    const [requester] = await users(['idx-f']);
    const { ctx } = dynamoContext(db);
    const { chat } = await openSupportChat(ctx, requester, {});
    await sendMessage(ctx, agent, chat.id, { content: 'first answer' });
    db.reset();
    await sendMessage(ctx, requester, chat.id, { content: 'thanks' });
    const updates = db.calls.filter((c) => c.command === 'UpdateCommand' || c.command === 'UpdateItemCommand');
    for (const u of updates) expect(String(u.input.UpdateExpression)).not.toMatch(/GSI/);
  });
});
