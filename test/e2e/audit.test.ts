/**
 * The audit trail end to end (SPEC §10): admin and support actions through
 * the local gateway reach the bus as `chat.audit` events (the local stack
 * keeps them at `GET /dev/audit`), and stay out of `/dev/notifications`.
 */
import { describe, expect, inject, it } from 'vitest';
import { call, client, uniqueId } from '../support/api';

const stack = inject('stack');
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function auditOf(predicate: (entry: any) => boolean, count: number): Promise<any[]> {
  for (let i = 0; i < 50; i++) {
    const entries = ((await call(stack, 'GET', '/dev/audit')).body.entries as any[]).filter(predicate);
    if (entries.length >= count) return entries;
    await sleep(50);
  }
  throw new Error('audit entries did not arrive');
}

describe('chat.audit events', () => {
  it('provisioning and a support reassignment are published with actor, action, target and time', async () => {
    const admin = await client(uniqueId('admin'), { roles: ['admin'] });
    const agentId = uniqueId('agent');
    const patient = await client(uniqueId('patient'));
    const before = new Date().toISOString();
    const support = await patient.post('/v1/chats/support', { subject: 'Crown' });
    // Provisioned after the chat opened, so the agent is not the one it was assigned to.
    expect((await admin.put(`/v1/users/${agentId}`, { name: 'Agent', roles: ['support'] })).status).toBe(200);
    expect((await admin.put(`/v1/chats/${support.body.chat.id}/assignee`, { agentId })).status).toBe(200);

    const entries = await auditOf((e) => e.actorId === admin.id, 2);
    expect(entries).toEqual([
      { actorId: admin.id, actorRoles: ['admin'], action: 'user.provisioned', target: { type: 'user', id: agentId }, at: expect.any(String), details: { roles: 'user,support' } },
      expect.objectContaining({ actorId: admin.id, action: 'chat.assigned', target: { type: 'chat', id: support.body.chat.id } }),
    ]);
    expect(entries[0].at >= before).toBe(true);

    const { notifications } = (await call(stack, 'GET', '/dev/notifications')).body;
    expect(notifications.filter((n: any) => n.actorId === admin.id)).toEqual([]);
  });

  it('a user managing their own chats leaves no audit entry', async () => {
    const owner = await client(uniqueId('owner'));
    const friend = await client(uniqueId('friend'));
    const { chat } = await owner.api.createChat({ type: 'group', participantIds: [friend.id], title: 'Team' });
    await owner.api.updateChat(chat.id, { title: 'Team 2' });
    await owner.del(`/v1/chats/${chat.id}/participants/${friend.id}`);
    await sleep(200);
    const { entries } = (await call(stack, 'GET', '/dev/audit')).body;
    expect(entries.filter((e: any) => e.actorId === owner.id)).toEqual([]);
  });
});
