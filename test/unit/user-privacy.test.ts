/**
 * SPEC §4 / issue 13 item 16: `GET /v1/users/{id}` shows `roles`, `online`
 * and `lastSeenAt` only to the user, to admins and to people who share a
 * chat with them; anyone else gets `{id, name}`.
 */
import { describe, expect, it } from 'vitest';
import { createChat } from '../../functions/domain/chats';
import { connect } from '../../functions/domain/connections';
import { removeParticipant } from '../../functions/domain/groups';
import { openSupportChat } from '../../functions/domain/support';
import { getUser } from '../../functions/domain/users';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

describe('user profiles (item 16)', () => {
  it('strangers see id and name only; chat partners, the user and admins see roles and presence', async () => {
    const { ctx, repo } = memoryContext();
    const [alice, bob, mallory, root] = [await user(repo, 'alice', ['support']), await user(repo, 'bob'), await user(repo, 'mallory'), await user(repo, 'root', ['admin'])];
    await connect(ctx, alice, 'a1', 7200);
    expect(await getUser(ctx, mallory, 'alice')).toEqual({ id: 'alice', name: 'ALICE' });
    expect(await codeOf(getUser(ctx, mallory, 'nobody'))).toBe('404 not_found');
    for (const viewer of [alice, root]) expect(await getUser(ctx, viewer, 'alice')).toMatchObject({ roles: ['user', 'support'], online: true });
    const { chat } = await createChat(ctx, bob, { type: 'group', participantIds: ['alice', 'mallory'] });
    expect(await getUser(ctx, bob, 'alice')).toMatchObject({ roles: ['user', 'support'], online: true, lastSeenAt: expect.any(String) });
    expect(await getUser(ctx, mallory, 'alice')).toMatchObject({ online: true });
    // Leaving the shared chat ends it.
    await removeParticipant(ctx, mallory, chat.id, 'mallory');
    expect(await getUser(ctx, mallory, 'alice')).toEqual({ id: 'alice', name: 'ALICE' });
  });

  it('an agent membership counts only while the caller\'s token has the support role', async () => {
    const { ctx, repo } = memoryContext();
    const [agent, patient] = [await user(repo, 'agent', ['support']), await user(repo, 'patient')];
    await openSupportChat(ctx, patient, {});
    expect(await getUser(ctx, agent, 'patient')).toHaveProperty('roles');
    const demoted = { ...agent, roles: ['user' as const] };
    expect(await getUser(ctx, demoted, 'patient')).toEqual({ id: 'patient', name: 'PATIENT' });
  });
});
