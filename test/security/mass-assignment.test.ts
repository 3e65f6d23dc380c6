/**
 * Mass assignment: server-owned fields can never be set by a client, and
 * roles come only from the token's `roles` / `cognito:groups` claims. Every
 * test checks the stored values (read back through the API or the table),
 * not only the response.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../functions/data/client';
import { userStore } from '../../functions/data/users';
import { principalFromClaims } from '../../functions/domain/identity';
import { call, client, uniqueId } from '../support/api';
import { createFixtures, stack, type Fixtures } from './support';

const db = createDb({ table: stack.tableName, endpoint: stack.dynamoEndpoint, region: stack.region, credentials: stack.credentials });
const LONG_AGO = '2000-01-01T00:00:00.000Z';
const recent = (iso: string) => Math.abs(Date.parse(iso) - Date.now()) < 5 * 60_000;

let f: Fixtures;
beforeAll(async () => {
  f = await createFixtures('sec-mass');
});

describe('POST /v1/chats', () => {
  it('ignores id, createdBy, lastSeq, participants and unreadCount', async () => {
    const res = await f.owner.post('/v1/chats', {
      type: 'group',
      participantIds: [f.member.id],
      title: 'mass',
      id: 'HACKEDCHAT',
      createdBy: f.outsider.id,
      createdAt: LONG_AGO,
      updatedAt: LONG_AGO,
      lastSeq: 999,
      lastReadSeq: 999,
      participants: [{ userId: f.outsider.id, name: 'Mallory', role: 'owner', joinedAt: LONG_AGO, online: true }],
      unreadCount: 42,
      archived: true,
      status: 'closed',
      assigneeId: f.outsider.id,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const stored = (await f.owner.get(`/v1/chats/${res.body.chat.id}`)).body.chat;
    for (const chat of [res.body.chat, stored]) {
      expect(chat.id).not.toBe('HACKEDCHAT');
      expect(chat.type).toBe('group');
      expect(chat.createdBy).toBe(f.owner.id);
      expect(recent(chat.createdAt)).toBe(true);
      expect(chat.lastSeq).toBe(0);
      expect(chat.lastReadSeq).toBe(0);
      expect(chat.unreadCount).toBe(0);
      expect(chat.archived).toBe(false);
      expect(chat.status).toBeUndefined();
      expect(chat.assigneeId ?? null).toBeNull();
      expect(chat.participants.map((p: { userId: string; role: string }) => [p.userId, p.role]).sort()).toEqual(
        [
          [f.owner.id, 'owner'],
          [f.member.id, 'member'],
        ].sort(),
      );
    }
    expect((await f.owner.get('/v1/chats/HACKEDCHAT')).status).toBe(404);
    expect((await f.outsider.get(`/v1/chats/${stored.id}`)).status).toBe(404);
  });

  it('a direct chat cannot be created on someone else\'s behalf', async () => {
    const res = await f.outsider.post('/v1/chats', { type: 'direct', participantIds: [f.member.id], createdBy: f.owner.id, senderId: f.owner.id });
    expect(res.status).toBe(201);
    expect(res.body.chat.createdBy).toBe(f.outsider.id);
    expect(res.body.chat.participants.map((p: { userId: string }) => p.userId).sort()).toEqual([f.outsider.id, f.member.id].sort());
  });
});

describe('POST /v1/chats/{chatId}/messages', () => {
  const forged = () => ({
    content: 'forged fields',
    id: 'HACKEDMSG',
    seq: 9999,
    senderId: f.member.id,
    chatId: f.directId,
    createdAt: LONG_AGO,
    editedAt: LONG_AGO,
    deletedAt: LONG_AGO,
    reactions: { like: [f.member.id, f.outsider.id] },
    readBy: 99,
    attachments: [{ id: 'x', filename: 'evil.exe', contentType: 'application/x-msdownload', size: 1, kind: 'file', url: 'https://evil.example.com/x', urlExpiresAt: LONG_AGO }],
  });

  function expectServerOwned(message: any, chatId: string, senderId: string, expectedSeq: number) {
    expect(message.id).not.toBe('HACKEDMSG');
    expect(message.seq).toBe(expectedSeq);
    expect(message.senderId).toBe(senderId);
    expect(message.chatId).toBe(chatId);
    expect(recent(message.createdAt)).toBe(true);
    expect(message.editedAt).toBeUndefined();
    expect(message.deletedAt).toBeUndefined();
    expect(message.reactions).toEqual({});
    expect(message.readBy).toBe(0);
    expect(message.attachments).toEqual([]);
    expect(message.content).toBe('forged fields');
  }

  it('ignores id, seq, senderId, chatId, createdAt, deletedAt, reactions, readBy (HTTP)', async () => {
    const before = (await f.owner.get(`/v1/chats/${f.groupId}`)).body.chat.lastSeq as number;
    const directBefore = (await f.owner.get(`/v1/chats/${f.directId}`)).body.chat.lastSeq as number;
    const res = await f.owner.post(`/v1/chats/${f.groupId}/messages`, forged());
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expectServerOwned(res.body.message, f.groupId, f.owner.id, before + 1);
    const page = await f.owner.get(`/v1/chats/${f.groupId}/messages?after=${before}`);
    expect(page.body.messages).toHaveLength(1);
    expectServerOwned(page.body.messages[0], f.groupId, f.owner.id, before + 1);
    expect(page.body.messages[0].id).toBe(res.body.message.id);
    // Nothing landed in the chat named by the forged `chatId`.
    expect((await f.owner.get(`/v1/chats/${f.directId}`)).body.chat.lastSeq).toBe(directBefore);
  });

  it('ignores the same fields in POST /v1/messages and WebSocket sendMessage', async () => {
    const direct = (await f.owner.get(`/v1/chats/${f.directId}`)).body.chat.lastSeq as number;
    const res = await f.owner.post('/v1/messages', { ...forged(), to: f.member.id, chatId: f.groupId });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.chat.id).toBe(f.directId);
    expectServerOwned(res.body.message, f.directId, f.owner.id, direct + 1);

    const ws = await f.owner.ws();
    try {
      const { chatId: _c, ...rest } = forged();
      const ack = await ws.request('sendMessage', { ...rest, chatId: f.directId, userId: f.member.id, principal: { userId: f.member.id, roles: ['admin'] } });
      expect(ack, JSON.stringify(ack)).toMatchObject({ type: 'ack' });
      expectServerOwned(ack.message, f.directId, f.owner.id, direct + 2);
    } finally {
      await ws.close();
    }
    const page = await f.member.get(`/v1/chats/${f.directId}/messages?after=${direct}`);
    expect(page.body.messages).toHaveLength(2);
    for (const [i, m] of page.body.messages.entries()) expectServerOwned(m, f.directId, f.owner.id, direct + 1 + i);
  });

  it('PATCH message and PATCH chat ignore server-owned fields', async () => {
    const sent = await f.owner.post(`/v1/chats/${f.groupId}/messages`, { content: 'to edit' });
    const edited = await f.owner.patch(`/v1/chats/${f.groupId}/messages/${sent.body.message.id}`, { content: 'edited', senderId: f.member.id, seq: 1, createdAt: LONG_AGO, chatId: f.directId });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(edited.body.message).toMatchObject({ id: sent.body.message.id, seq: sent.body.message.seq, senderId: f.owner.id, chatId: f.groupId, createdAt: sent.body.message.createdAt, content: 'edited' });

    const patched = await f.owner.patch(`/v1/chats/${f.groupId}`, { title: 'patched', type: 'direct', createdBy: f.outsider.id, lastSeq: 0, id: 'HACKEDCHAT', participants: [] });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const stored = (await f.owner.get(`/v1/chats/${f.groupId}`)).body.chat;
    expect(stored).toMatchObject({ id: f.groupId, type: 'group', createdBy: f.owner.id, title: 'patched' });
    expect(stored.lastSeq).toBeGreaterThan(0);
    expect(stored.participants.length).toBe(3);
  });
});

describe('PUT /v1/users/{userId}', () => {
  it('an admin cannot set id or createdAt', async () => {
    const target = uniqueId('sec-prov');
    const other = uniqueId('sec-other');
    const res = await f.admin.put(`/v1/users/${target}`, { name: 'Provisioned', id: other, createdAt: LONG_AGO, updatedAt: LONG_AGO, online: true, lastSeenAt: LONG_AGO });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.user.id).toBe(target);
    expect(JSON.stringify(res.body)).not.toContain(LONG_AGO);
    expect((await f.member.get(`/v1/users/${other}`)).status).toBe(404);
    // The member shares no chat with the new user: the name only (SPEC §4); the admin sees presence.
    expect((await f.member.get(`/v1/users/${target}`)).body.user).toEqual({ id: target, name: 'Provisioned' });
    const profile = await f.admin.get(`/v1/users/${target}`);
    expect(profile.body.user).toMatchObject({ id: target, name: 'Provisioned', online: false, lastSeenAt: null });

    const stored = (await userStore(db).get(target)) as Record<string, unknown> | undefined;
    expect(stored?.id).toBe(target);
    for (const value of Object.values(stored ?? {})) expect(value).not.toBe(LONG_AGO);
    expect(await userStore(db).get(other)).toBeUndefined();
  });
});

describe('roles come only from `roles` / `cognito:groups`', () => {
  const base = { sub: 'mallory', iss: 'x', aud: 'y' };
  it.each([
    ['role: "admin"', { role: 'admin' }],
    ['isAdmin: true', { isAdmin: true, admin: true }],
    ['groups: ["admin"]', { groups: ['admin', 'support'] }],
    ['custom:roles', { 'custom:roles': 'admin', 'custom:groups': ['admin'] }],
    ['scope', { scope: 'admin support', scp: ['admin'] }],
    ['realm_access', { realm_access: { roles: ['admin'] }, resource_access: { chat: { roles: ['admin'] } } }],
    ['roles object', { roles: { admin: true }, 'cognito:groups': { 0: 'admin' } }],
    ['roles with a lookalike', { roles: ['Admin', 'ADMIN', ' admin', 'admin\u200b', 'supp0rt'] }],
  ])('%s grants nothing', (_name, claims) => {
    expect(principalFromClaims({ ...base, ...claims }).roles).toEqual(['user']);
  });

  it('the mode\'s one roles claim grants roles, the other one nothing (issue 13 item 12)', () => {
    expect(principalFromClaims({ ...base, roles: ['admin'] }).roles).toEqual(['user', 'admin']);
    expect(principalFromClaims({ ...base, 'cognito:groups': ['support'] }).roles).toEqual(['user']);
    expect(principalFromClaims({ ...base, 'cognito:groups': ['support'] }, { rolesClaim: 'cognito:groups' }).roles).toEqual(['user', 'support']);
    expect(principalFromClaims({ ...base, roles: ['admin'] }, { rolesClaim: 'cognito:groups' }).roles).toEqual(['user']);
  });

  it('end to end: extra fields in the token request and in bodies grant no role', async () => {
    // The local issuer signs only known claims; extra fields sent to it must not become roles.
    const id = uniqueId('sec-claims');
    const res = await call(stack, 'POST', '/dev/token', { body: { userId: id, role: 'admin', isAdmin: true, groups: ['admin'], 'cognito:groups': ['admin'] } });
    expect(res.status).toBe(200);
    const payload = JSON.parse(Buffer.from(res.body.token.split('.')[1], 'base64url').toString());
    const mallory = await client(id);
    const viaToken = await call(stack, 'GET', '/v1/me', { token: res.body.token });
    expect(payload).not.toHaveProperty('roles');
    expect(payload).not.toHaveProperty('cognito:groups');
    expect(viaToken.body.user.roles).toEqual(['user']);
    // Bodies cannot raise the caller's roles either.
    const me = await mallory.get('/v1/me');
    expect(me.body.user.roles).toEqual(['user']);
    const self = await mallory.put(`/v1/users/${mallory.id}`, { name: 'Mallory', roles: ['admin'] });
    expect(self.status).toBe(403);
    const support = await mallory.post('/v1/chats/support', { subject: 'hi', roles: ['admin'], role: 'admin', isAdmin: true });
    expect([200, 201]).toContain(support.status);
    expect((await mallory.get('/v1/support/stats')).status).toBe(403);
    expect((await call(stack, 'GET', '/v1/support/chats', { token: res.body.token })).status).toBe(403);
    expect((await mallory.get(`/v1/chats/${f.groupId}`)).status).toBe(404);
    expect((await mallory.get('/v1/me')).body.user.roles).toEqual(['user']);
  });
});
