/**
 * Issue 13, the support desk:
 * - item 2 (High): an agent not assigned to a chat read its content through
 *   the queue and the answer to a status change (`lastMessage`);
 * - item 3 (Medium): an agent demoted in the identity provider kept getting
 *   new chats, and kept reading and replying with a token without the role;
 * - item 9 (Medium): a refused `initialMessage` (rate limit, length) still
 *   created the chat, and the retry answered it empty.
 */
import { describe, expect, it } from 'vitest';
import { createChat, getChat, getStats, listChats } from '../../functions/domain/chats';
import { typing } from '../../functions/domain/connections';
import { updateChat } from '../../functions/domain/groups';
import { listMessages, markRead, sendMessage } from '../../functions/domain/messages';
import { assignChat, openSupportChat, supportQueue } from '../../functions/domain/support';
import { putUser } from '../../functions/domain/users';
import type { Principal } from '../../functions/domain/types';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

const SECRET = 'Allergic to penicillin, insurance no. 4711-0815';

async function desk(limits = {}) {
  const m = memoryContext({ limits });
  const assignee = await user(m.repo, 'agent-a', ['support']);
  const patient = await user(m.repo, 'patient');
  const { chat } = await openSupportChat(m.ctx, patient, { subject: 'Rash', initialMessage: SECRET });
  // A second agent joins the desk after the chat went to agent-a.
  const other = await user(m.repo, 'agent-b', ['support']);
  const root = await user(m.repo, 'root', ['admin']);
  return { ...m, assignee, patient, other, root, chat };
}

const mentions = (value: unknown) => JSON.stringify(value).includes(SECRET.slice(0, 20));

describe('item 2: no message content reaches an agent who is not the assignee', () => {
  it('the queue shows content only of the caller\'s own chats; admins see all', async () => {
    const { ctx, assignee, other, root, chat } = await desk();
    const seenByOther = await supportQueue(ctx, other, { limit: 20 });
    expect(seenByOther.chats.map((c) => c.id)).toContain(chat.id);
    expect(mentions(seenByOther)).toBe(false);
    expect(seenByOther.chats.find((c) => c.id === chat.id)).not.toHaveProperty('lastMessage');
    // Polling does not help either.
    for (let i = 0; i < 5; i++) expect(mentions(await supportQueue(ctx, other, { limit: 20, status: 'open' }))).toBe(false);

    expect((await supportQueue(ctx, assignee, { limit: 20 })).chats.find((c) => c.id === chat.id)!.lastMessage!.content).toBe(SECRET);
    expect((await supportQueue(ctx, root, { limit: 20 })).chats.find((c) => c.id === chat.id)!.lastMessage!.content).toBe(SECRET);
  });

  it('a status change by a non-assignee agent answers and emits the chat without its content', async () => {
    const { ctx, notifier, other, chat } = await desk();
    const answer = await updateChat(ctx, other, chat.id, { status: 'waiting' });
    expect(answer.status).toBe('waiting');
    expect(mentions(answer)).toBe(false);
    // The event goes to the participants (who may read it), never to the non-assignee.
    const event = notifier.ofType('chat.updated').at(-1)!;
    expect(event.userIds).not.toContain('agent-b');
    expect(await codeOf(listMessages(ctx, other, chat.id, { limit: 10 }))).toBe('404 not_found');
  });

  it('a reassigned agent is told of the change without the content', async () => {
    const { ctx, notifier, root, chat } = await desk();
    await assignChat(ctx, root, chat.id, 'agent-b');
    const sent = notifier.ofType('chat.updated').filter((s) => s.userIds.includes('agent-a'));
    expect(sent).toHaveLength(1);
    expect(mentions(sent[0]!.event)).toBe(false);
  });

  it('an agent who claims a chat reads it from then on', async () => {
    const m = memoryContext();
    const patient = await user(m.repo, 'patient');
    const { chat } = await openSupportChat(m.ctx, patient, { initialMessage: SECRET });
    expect(chat.assigneeId).toBeNull();
    const agent = await user(m.repo, 'agent-a', ['support']);
    expect(mentions(await supportQueue(m.ctx, agent, { limit: 20, unassigned: true }))).toBe(false);
    const claimed = await assignChat(m.ctx, agent, chat.id, 'agent-a');
    expect(claimed.lastMessage?.content).toBe(SECRET);
  });
});

describe('item 3: assignment and agent access do not outlive the support role', () => {
  it('an agent whose token lost the role no longer reads, replies, types, lists or marks', async () => {
    const { ctx, chat } = await desk();
    const demoted: Principal = { userId: 'agent-a', name: 'A', roles: ['user'] };
    expect(await codeOf(listMessages(ctx, demoted, chat.id, { limit: 10 }))).toBe('404 not_found');
    expect(await codeOf(getChat(ctx, demoted, chat.id))).toBe('404 not_found');
    expect(await codeOf(sendMessage(ctx, demoted, chat.id, { content: 'still here' }))).toBe('404 not_found');
    expect(await codeOf(typing(ctx, demoted, chat.id, true))).toBe('404 not_found');
    expect(await codeOf(markRead(ctx, demoted, chat.id))).toBe('404 not_found');
    expect(await codeOf(updateChat(ctx, demoted, chat.id, { status: 'resolved' }))).toBe('404 not_found');
    const listed = await listChats(ctx, demoted, { limit: 20 });
    expect(listed.chats).toEqual([]);
    expect(mentions(listed)).toBe(false);
    expect((await getStats(ctx, demoted)).chats).toBe(0);
  });

  it('the same agent with the role still works (control)', async () => {
    const { ctx, assignee, chat } = await desk();
    expect((await listMessages(ctx, assignee, chat.id, { limit: 10 })).messages[0]!.content).toBe(SECRET);
    expect(await codeOf(sendMessage(ctx, assignee, chat.id, { content: 'on it' }))).toBe('resolved');
  });

  it('an agent not seen with the role for the directory TTL gets no new chats', async () => {
    const m = memoryContext({ limits: { directoryRoleSeconds: 3600 } });
    const gone = await user(m.repo, 'agent-gone', ['support'], new Date('2025-12-31T00:00:00Z'));
    // `user()` records with the default TTL; record as the stack would with 1 h.
    await m.repo.users.touch(gone, '2025-12-31T00:00:00.000Z', Date.parse('2025-12-31T01:00:00Z') / 1000);
    const patient = await user(m.repo, 'patient');
    const first = await openSupportChat(m.ctx, patient, { subject: 'x' });
    expect(first.chat.assigneeId).toBeNull();
    // An active agent (seen now) is assigned; an admin cannot assign the lapsed one either.
    const active = await user(m.repo, 'agent-active', ['support'], new Date('2026-01-01T00:00:00Z'));
    const root = await user(m.repo, 'root', ['admin']);
    expect(await codeOf(assignChat(m.ctx, root, first.chat.id, 'agent-gone'))).toBe('400 bad_request');
    expect((await assignChat(m.ctx, root, first.chat.id, active.userId)).assigneeId).toBe('agent-active');
    // Seen again with the role: back in the pool.
    await m.repo.users.touch(gone, '2026-01-01T00:00:00.000Z', Date.parse('2026-01-01T01:00:00Z') / 1000);
    const patient2 = await user(m.repo, 'patient2');
    expect((await openSupportChat(m.ctx, patient2, {})).chat.assigneeId).toBe('agent-gone');
  });

  it('a provisioned support role lapses too, and provisioning without it removes the agent at once', async () => {
    const m = memoryContext({ limits: { directoryRoleSeconds: 60 } });
    const admin = await user(m.repo, 'root', ['admin']);
    await putUser(m.ctx, 'agent-p', { name: 'P', roles: ['support'] }, admin);
    expect(await m.repo.support.agents(m.ctx.now())).toEqual(['agent-p']);
    m.advance(61_000);
    expect(await m.repo.support.agents(m.ctx.now())).toEqual([]);
    await putUser(m.ctx, 'agent-p', { name: 'P', roles: ['support'] }, admin);
    await putUser(m.ctx, 'agent-p', { name: 'P', roles: [] }, admin);
    expect(await m.repo.support.agents(m.ctx.now())).toEqual([]);
  });
});

describe('item 9: a support chat whose initialMessage is refused is not created', () => {
  it('over the message rate limit: 429 and no chat; the retry in the next window creates it with the message', async () => {
    const m = memoryContext({ limits: { messagesPerMinute: 1 } });
    await user(m.repo, 'agent-a', ['support']);
    const patient = await user(m.repo, 'patient');
    // The patient used up their messages elsewhere (another chat).
    await user(m.repo, 'friend');
    const direct = await createChat(m.ctx, patient, { type: 'direct', participantIds: ['friend'] });
    await sendMessage(m.ctx, patient, direct.chat.id, { content: 'hi' });

    expect(await codeOf(openSupportChat(m.ctx, patient, { initialMessage: SECRET }))).toBe('429 rate_limited');
    expect([...m.repo.chatMap.values()].filter((c) => c.type === 'support' && c.requesterId === 'patient')).toEqual([]);

    m.advance(60_000);
    const retry = await openSupportChat(m.ctx, patient, { initialMessage: SECRET });
    expect(retry.created).toBe(true);
    expect(retry.chat.lastMessage?.content).toBe(SECRET);
    expect((await listMessages(m.ctx, patient, retry.chat.id, { limit: 10 })).messages.map((x) => x.content)).toEqual([SECRET]);
  });

  it('over the content limit: 400 and no chat', async () => {
    const m = memoryContext({ limits: { maxContentLength: 10 } });
    const patient = await user(m.repo, 'patient');
    expect(await codeOf(openSupportChat(m.ctx, patient, { initialMessage: 'x'.repeat(11) }))).toBe('400 bad_request');
    expect(m.repo.chatMap.size).toBe(0);
  });

  it('over the chat creation limit: 429 and no chat', async () => {
    const m = memoryContext({ limits: { chatCreationsPerMinute: 1 } });
    const patient = await user(m.repo, 'patient');
    await user(m.repo, 'friend');
    await createChat(m.ctx, patient, { type: 'direct', participantIds: ['friend'] });
    expect(await codeOf(openSupportChat(m.ctx, patient, { initialMessage: 'help' }))).toBe('429 rate_limited');
    expect([...m.repo.chatMap.values()].filter((c) => c.type === 'support')).toEqual([]);
  });

  it('answering the open chat again takes no rate-limit slot and sends nothing', async () => {
    const m = memoryContext({ limits: { messagesPerMinute: 1, chatCreationsPerMinute: 1 } });
    const patient = await user(m.repo, 'patient');
    const first = await openSupportChat(m.ctx, patient, { initialMessage: 'help' });
    for (let i = 0; i < 3; i++) expect(await openSupportChat(m.ctx, patient, { initialMessage: 'help again' })).toMatchObject({ created: false, chat: { id: first.chat.id, lastSeq: 1 } });
  });
});
