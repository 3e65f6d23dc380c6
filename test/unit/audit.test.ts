/**
 * The audit trail (SPEC §10): every admin and support action becomes one
 * `{actorId, action, target, at}` entry; user actions (a group owner managing
 * their own group, an author deleting their own message) do not.
 */
import { describe, expect, it, vi } from 'vitest';
import { recordAudit } from '../../functions/domain/audit';
import { createChat } from '../../functions/domain/chats';
import { addParticipants, removeParticipant, updateChat } from '../../functions/domain/groups';
import { deleteMessage, sendMessage } from '../../functions/domain/messages';
import { assignChat, openSupportChat } from '../../functions/domain/support';
import { putUser } from '../../functions/domain/users';
import { createAuditLog } from '../../functions/lib/audit';
import { logger } from '../../functions/lib/logger';
import { memoryContext, user } from '../support/memory';

async function setup() {
  const m = memoryContext();
  const root = await user(m.repo, 'root', ['admin']);
  const agent = await user(m.repo, 'agent', ['support']);
  const owner = await user(m.repo, 'owner');
  const member = await user(m.repo, 'member');
  await user(m.repo, 'other');
  return { ...m, root, agent, owner, member };
}

describe('audit entries', () => {
  it('provisioning records who, what, which user and when, with the roles but nothing else', async () => {
    const { ctx, audit, root } = await setup();
    await putUser(ctx, 'nurse', { name: 'Nurse Joy', roles: ['support'], email: 'joy@example.com' }, root);
    expect(audit.entries).toEqual([
      { actorId: 'root', actorRoles: ['admin'], action: 'user.provisioned', target: { type: 'user', id: 'nurse' }, at: '2026-01-01T00:00:00.000Z', details: { roles: 'user,support' } },
    ]);
    // No e-mail or name in the trail: it is a record of actions, not a copy of the directory.
    expect(JSON.stringify(audit.entries)).not.toMatch(/joy|Nurse/);
  });

  it('support: assignment, reassignment and status changes, with the previous values', async () => {
    const { ctx, audit, root, agent, member, repo } = await setup();
    const agent2 = await user(repo, 'agent2', ['support']);
    const { chat } = await openSupportChat(ctx, member, { subject: 'Tooth ache' });
    expect(chat.assigneeId).toBe('agent');
    await assignChat(ctx, root, chat.id, agent2.userId);
    await updateChat(ctx, agent2, chat.id, { status: 'waiting' });
    await updateChat(ctx, agent, chat.id, { title: 'Molar' });
    expect(audit.entries.map((e) => [e.actorId, e.action, e.target, e.details])).toEqual([
      ['root', 'chat.assigned', { type: 'chat', id: chat.id }, { assigneeId: 'agent2', previousAssigneeId: 'agent' }],
      ['agent2', 'chat.status_changed', { type: 'chat', id: chat.id }, { from: 'open', to: 'waiting' }],
      ['agent', 'chat.updated', { type: 'chat', id: chat.id }, { fields: 'title' }],
    ]);
  });

  it('system messages and moderation deletes by an admin are audited; a user deleting their own message is not', async () => {
    const { ctx, audit, root, owner, member } = await setup();
    const { chat } = await createChat(ctx, owner, { type: 'group', participantIds: ['member'], title: 'Clinic' });
    const system = await sendMessage(ctx, root, chat.id, { content: 'Closed on Friday', type: 'system' });
    const mine = await sendMessage(ctx, member, chat.id, { content: 'oops' });
    const theirs = await sendMessage(ctx, member, chat.id, { content: 'spam' });
    await deleteMessage(ctx, member, chat.id, mine.message.id);
    await deleteMessage(ctx, root, chat.id, theirs.message.id);
    expect(audit.entries.map((e) => [e.action, e.target, e.details])).toEqual([
      ['message.system_sent', { type: 'message', id: system.message.id, chatId: chat.id }, { seq: 1 }],
      ['message.deleted', { type: 'message', id: theirs.message.id, chatId: chat.id }, { senderId: 'member', seq: 3 }],
    ]);
  });

  it('a group owner managing their group is a user action; a platform admin doing it is audited', async () => {
    const { ctx, audit, root, owner } = await setup();
    const { chat } = await createChat(ctx, owner, { type: 'group', participantIds: ['member'], title: 'Clinic' });
    await updateChat(ctx, owner, chat.id, { title: 'Clinic 2' });
    await addParticipants(ctx, owner, chat.id, { userIds: ['other'] });
    await removeParticipant(ctx, owner, chat.id, 'other');
    expect(audit.entries).toEqual([]);

    await updateChat(ctx, root, chat.id, { metadata: { ward: 3 } });
    await addParticipants(ctx, root, chat.id, { userIds: ['other'] });
    await removeParticipant(ctx, root, chat.id, 'member');
    expect(audit.entries.map((e) => [e.actorId, e.action, e.details])).toEqual([
      ['root', 'chat.updated', { fields: 'metadata' }],
      ['root', 'participants.added', { count: 1, userIds: 'other' }],
      ['root', 'participant.removed', { userId: 'member' }],
    ]);
  });

  it('an audit log that fails never fails the action (it already happened)', async () => {
    const { ctx, audit, root, repo } = await setup();
    audit.fail = true;
    await expect(putUser(ctx, 'nurse', { name: 'Joy' }, root)).resolves.toMatchObject({ id: 'nurse' });
    expect((await repo.users.get('nurse'))?.name).toBe('Joy');
  });
});

describe('createAuditLog', () => {
  it('writes one structured log line per entry, even without a bus', async () => {
    const info = vi.spyOn(logger, 'info').mockImplementation(() => undefined);
    try {
      const { ctx } = memoryContext();
      const log = createAuditLog({});
      const entry = await recordAudit({ ...ctx, audit: log }, { userId: 'root', roles: ['user', 'admin'] }, 'user.provisioned', { type: 'user', id: 'u1' });
      expect(info).toHaveBeenCalledWith('audit', { audit: entry });
      expect(entry).toEqual({ actorId: 'root', actorRoles: ['admin'], action: 'user.provisioned', target: { type: 'user', id: 'u1' }, at: '2026-01-01T00:00:00.000Z' });
    } finally {
      info.mockRestore();
    }
  });
});
