import { describe, expect, it } from 'vitest';
import { createChat, getChat } from '../../functions/domain/chats';
import { connect, disconnect } from '../../functions/domain/connections';
import { updateChat } from '../../functions/domain/groups';
import { sendMessage } from '../../functions/domain/messages';
import { assignChat, median, openSupportChat, supportQueue, supportStats } from '../../functions/domain/support';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

async function desk() {
  const m = memoryContext();
  const agentA = await user(m.repo, 'agent-a', ['support']);
  const agentB = await user(m.repo, 'agent-b', ['support']);
  const root = await user(m.repo, 'root', ['admin']);
  const farmer = await user(m.repo, 'farmer');
  const farmer2 = await user(m.repo, 'farmer2');
  const farmer3 = await user(m.repo, 'farmer3');
  return { ...m, agentA, agentB, root, farmer, farmer2, farmer3 };
}

describe('openSupportChat', () => {
  it('assigns the least-loaded agent, returns the open chat again, and a new one after close', async () => {
    const { ctx, notifier, farmer, farmer2, farmer3, agentA } = await desk();
    const first = await openSupportChat(ctx, farmer, { subject: 'Sick cow', initialMessage: 'Help!' });
    expect(first).toMatchObject({ created: true, chat: { type: 'support', status: 'open', assigneeId: 'agent-a', title: 'Sick cow', lastSeq: 1 } });
    expect(first.chat.participants!.map((p) => [p.userId, p.role]).sort()).toEqual([
      ['agent-a', 'agent'],
      ['farmer', 'member'],
    ]);
    expect(notifier.ofType('chat.created')[0].userIds).toEqual(['farmer', 'agent-a']);
    expect(notifier.ofType('message.new')[0].event).toMatchObject({ message: { content: 'Help!', senderId: 'farmer' } });

    expect((await openSupportChat(ctx, farmer2, {})).chat.assigneeId).toBe('agent-b');
    expect((await openSupportChat(ctx, farmer3, {})).chat.assigneeId).toBe('agent-a');

    const again = await openSupportChat(ctx, farmer, { initialMessage: 'not sent twice' });
    expect(again).toMatchObject({ created: false, chat: { id: first.chat.id, lastSeq: 1 } });

    await updateChat(ctx, agentA, first.chat.id, { status: 'closed' });
    const next = await openSupportChat(ctx, farmer, {});
    expect(next.created).toBe(true);
    expect(next.chat.id).not.toBe(first.chat.id);
  });

  it('yields one chat when the same user asks concurrently, and stays unassigned without agents', async () => {
    const m = memoryContext();
    const farmer = await user(m.repo, 'farmer');
    const results = await Promise.all([1, 2, 3].map(() => openSupportChat(m.ctx, farmer, {})));
    expect(new Set(results.map((r) => r.chat.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results[0].chat.assigneeId).toBeNull();
  });
});

describe('support status', () => {
  it('may be changed by the assignee, any agent and admins, not the requester; closed is final', async () => {
    const { ctx, notifier, farmer, agentA, agentB, root } = await desk();
    const { chat } = await openSupportChat(ctx, farmer, {});
    expect(await codeOf(updateChat(ctx, farmer, chat.id, { status: 'resolved' }))).toBe('403 forbidden');
    expect((await updateChat(ctx, agentA, chat.id, { status: 'waiting' })).status).toBe('waiting');
    expect((await updateChat(ctx, agentB, chat.id, { status: 'resolved' })).status).toBe('resolved');
    expect((await updateChat(ctx, root, chat.id, { status: 'closed' })).status).toBe('closed');
    expect(await codeOf(updateChat(ctx, agentA, chat.id, { status: 'open' }))).toBe('409 conflict');
    const updates = notifier.ofType('chat.updated');
    expect(updates.map((u) => (u.event as any).chat.status)).toEqual(['waiting', 'resolved', 'closed']);
    expect(updates[0].userIds.sort()).toEqual(['agent-a', 'farmer']);
  });

  it('stays hidden from plain users who are not in it', async () => {
    const { ctx, farmer, farmer2 } = await desk();
    const { chat } = await openSupportChat(ctx, farmer, {});
    expect(await codeOf(updateChat(ctx, farmer2, chat.id, { status: 'closed' }))).toBe('404 not_found');
    expect(await codeOf(getChat(ctx, farmer2, chat.id))).toBe('404 not_found');
  });
});

describe('assignChat', () => {
  it('lets admins reassign: the new agent joins, the old one leaves', async () => {
    const { ctx, notifier, farmer, agentA, agentB, root } = await desk();
    const { chat } = await openSupportChat(ctx, farmer, {});
    const reassigned = await assignChat(ctx, root, chat.id, 'agent-b');
    expect(reassigned.assigneeId).toBe('agent-b');
    expect(reassigned.participants!.map((p) => [p.userId, p.role]).sort()).toEqual([
      ['agent-b', 'agent'],
      ['farmer', 'member'],
    ]);
    expect(notifier.ofType('chat.updated').at(-1)!.userIds.sort()).toEqual(['agent-a', 'agent-b', 'farmer']);
    expect(await codeOf(sendMessage(ctx, agentA, chat.id, { content: 'x' }))).toBe('404 not_found');
    expect(await codeOf(sendMessage(ctx, agentB, chat.id, { content: 'on it' }))).toBe('resolved');
  });

  it('lets an agent claim an unassigned chat, only for themselves, only once', async () => {
    const m = memoryContext();
    const farmer = await user(m.repo, 'farmer');
    const { chat } = await openSupportChat(m.ctx, farmer, {});
    const agentA = await user(m.repo, 'agent-a', ['support']);
    const agentB = await user(m.repo, 'agent-b', ['support']);
    expect(await codeOf(assignChat(m.ctx, agentA, chat.id, 'agent-b'))).toBe('403 forbidden');
    expect(await codeOf(assignChat(m.ctx, farmer, chat.id, 'agent-a'))).toBe('403 forbidden');
    const claims = await Promise.all([codeOf(assignChat(m.ctx, agentA, chat.id, 'agent-a')), codeOf(assignChat(m.ctx, agentB, chat.id, 'agent-b'))]);
    expect(claims.sort()).toEqual(['409 conflict', 'resolved']);
    const owner = m.repo.chatMap.get(chat.id)!.assigneeId;
    const other = owner === 'agent-a' ? agentB : agentA;
    expect(await codeOf(assignChat(m.ctx, other, chat.id, other.userId))).toBe('409 conflict');
    expect(m.repo.chatMap.get(chat.id)!.assigneeId).toBe(owner);
  });

  it('assigns only support agents, only to support chats', async () => {
    const { ctx, farmer, farmer2, root } = await desk();
    const { chat } = await openSupportChat(ctx, farmer, {});
    expect(await codeOf(assignChat(ctx, root, chat.id, 'farmer2'))).toBe('400 bad_request');
    expect(await codeOf(assignChat(ctx, root, chat.id, 'ghost'))).toBe('404 not_found');
    const direct = await createChat(ctx, farmer, { type: 'direct', participantIds: [farmer2.userId] });
    expect(await codeOf(assignChat(ctx, root, direct.chat.id, 'agent-a'))).toBe('400 bad_request');
  });
});

describe('queue and stats', () => {
  it('filters the queue by status, assignee and unassigned, with a cursor', async () => {
    const { ctx, farmer, farmer2, farmer3, agentA, advance } = await desk();
    const c1 = (await openSupportChat(ctx, farmer, {})).chat; // agent-a
    advance(1000);
    const c2 = (await openSupportChat(ctx, farmer2, {})).chat; // agent-b
    advance(1000);
    const c3 = (await openSupportChat(ctx, farmer3, {})).chat; // agent-a
    await updateChat(ctx, agentA, c3.id, { status: 'waiting' });

    const ids = (r: { chats: { id: string }[] }) => r.chats.map((c) => c.id);
    expect(ids(await supportQueue(ctx, agentA, { limit: 10 }))).toEqual([c1.id, c2.id, c3.id]);
    expect(ids(await supportQueue(ctx, agentA, { limit: 10, status: 'open' }))).toEqual([c1.id, c2.id]);
    expect(ids(await supportQueue(ctx, agentA, { limit: 10, assigneeId: 'agent-a' }))).toEqual([c1.id, c3.id]);
    expect(ids(await supportQueue(ctx, agentA, { limit: 10, unassigned: true }))).toEqual([]);
    const first = await supportQueue(ctx, agentA, { limit: 2 });
    const rest = await supportQueue(ctx, agentA, { limit: 2, cursor: first.nextCursor! });
    expect([...ids(first), ...ids(rest)]).toEqual([c1.id, c2.id, c3.id]);
    expect(rest.nextCursor).toBeNull();
    expect(await codeOf(supportQueue(ctx, agentA, { limit: 2, cursor: '%%%' }))).toBe('400 bad_request');
  });

  it('counts by status and per agent, with the median first-response time', async () => {
    const { ctx, farmer, farmer2, farmer3, agentA, agentB, advance } = await desk();
    const c1 = (await openSupportChat(ctx, farmer, { initialMessage: 'hello' })).chat;
    const c2 = (await openSupportChat(ctx, farmer2, {})).chat;
    await openSupportChat(ctx, farmer3, {});
    advance(30_000);
    await sendMessage(ctx, agentA, c1.id, { content: 'hi, how can I help?' });
    advance(60_000);
    await sendMessage(ctx, agentB, c2.id, { content: 'hello' });
    await sendMessage(ctx, agentB, c2.id, { content: 'second answer does not count' });
    await updateChat(ctx, agentB, c2.id, { status: 'closed' });

    expect(await supportStats(ctx)).toEqual({
      byStatus: { open: 2, waiting: 0, resolved: 0, closed: 1 },
      openPerAgent: { 'agent-a': 2 },
      unassigned: 0,
      medianFirstResponseSeconds: 60,
      total: 3,
    });
    expect(median([5, 1, 3, 100])).toBe(4);
    expect(median([])).toBeNull();
  });
});

describe('presence', () => {
  it('tells direct and support contacts when a user comes online and goes offline, not group members', async () => {
    const { ctx, notifier, farmer, farmer2, farmer3 } = await desk();
    await createChat(ctx, farmer, { type: 'direct', participantIds: ['farmer2'] });
    await createChat(ctx, farmer, { type: 'group', participantIds: ['farmer3'] });
    await openSupportChat(ctx, farmer, {});
    notifier.sent.splice(0);

    await connect(ctx, farmer, 'c1', 3600);
    await connect(ctx, farmer, 'c2', 3600);
    const online = notifier.ofType('presence');
    expect(online).toHaveLength(1);
    expect(online[0].event).toEqual({ type: 'presence', userId: 'farmer', online: true });
    expect(online[0].userIds.sort()).toEqual(['agent-a', 'farmer2']);

    await disconnect(ctx, 'c1');
    expect(notifier.ofType('presence')).toHaveLength(1);
    await disconnect(ctx, 'c2');
    const offline = notifier.ofType('presence')[1];
    expect(offline.event).toMatchObject({ userId: 'farmer', online: false, lastSeenAt: expect.any(String) });
    expect(offline.userIds.sort()).toEqual(['agent-a', farmer2.userId]);
    expect(offline.userIds).not.toContain(farmer3.userId);
  });
});
