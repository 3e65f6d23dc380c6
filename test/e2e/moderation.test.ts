/**
 * Moderation end to end (SPEC §9, issue 18) through the local gateway with
 * real WebSocket clients: blocks and hidden placeholders, platform bans
 * (a banned user's socket is closed, new ones refused), group bans,
 * freezing, the word filter's absence of storage, and reports with the
 * admin queue and `chat.report.created` on the local bus.
 */
import { describe, expect, inject, it } from 'vitest';
import { call, client, uniqueId } from '../support/api';
import { refusal } from '../support/ws-client';

const stack = inject('stack');

async function admin() {
  return client(uniqueId('root'), { roles: ['admin'] });
}

describe('moderation end to end', () => {
  it('blocks: 403 blocked in the direct chat both ways; in a group the blocker gets placeholders live and in history; unblocking restores', async () => {
    const [ada, bob, cyd] = await Promise.all(['ada', 'bob', 'cyd'].map((n) => client(uniqueId(n))));
    const direct = (await ada.post('/v1/chats', { type: 'direct', participantIds: [bob.id] })).body.chat.id;
    const group = (await ada.post('/v1/chats', { type: 'group', participantIds: [bob.id, cyd.id], title: 'G' })).body.chat.id;
    expect((await ada.put(`/v1/me/blocks/${bob.id}`)).status).toBe(204);
    expect((await ada.get('/v1/me/blocks')).body.users).toEqual([{ id: bob.id, name: bob.id, blockedAt: expect.any(String) }]);

    const refused = await bob.post(`/v1/chats/${direct}/messages`, { content: 'hi' });
    expect([refused.status, refused.body.code]).toEqual([403, 'blocked']);
    expect((await ada.post('/v1/messages', { to: bob.id, content: 'hi' })).body.code).toBe('blocked');

    const adaSocket = await ada.ws();
    const cydSocket = await cyd.ws();
    try {
      const sent = (await bob.post(`/v1/chats/${group}/messages`, { content: 'only cyd reads this' })).body.message;
      const toAda = await adaSocket.next((f) => f.type === 'message.new' && f.chatId === group);
      expect(toAda.message).toMatchObject({ id: sent.id, seq: sent.seq, senderId: bob.id, hidden: true, content: '', attachments: [] });
      expect(JSON.stringify(toAda)).not.toContain('only cyd');
      const toCyd = await cydSocket.next((f) => f.type === 'message.new' && f.chatId === group);
      expect(toCyd.message.content).toBe('only cyd reads this');

      const history = (await ada.get(`/v1/chats/${group}/messages`)).body.messages;
      expect(history).toEqual([expect.objectContaining({ seq: 1, hidden: true, content: '' })]);
      // SPEC §9 "in search": the match comes back as the placeholder, never its text.
      const found = (await ada.get(`/v1/chats/${group}/messages?q=cyd`)).body.messages;
      expect(found).toEqual([expect.objectContaining({ seq: 1, hidden: true, content: '' })]);
      expect(JSON.stringify(found)).not.toContain('only cyd');

      expect((await ada.del(`/v1/me/blocks/${bob.id}`)).status).toBe(204);
      expect((await ada.get(`/v1/chats/${group}/messages`)).body.messages[0].content).toBe('only cyd reads this');
      expect((await bob.post(`/v1/chats/${direct}/messages`, { content: 'hello again' })).status).toBe(201);
    } finally {
      await Promise.all([adaSocket.close(), cydSocket.close()]);
    }
  });

  it('blocks in sync and replies: the blocker gets placeholders and hidden reply previews from GET /v1/sync as live; others get the text', async () => {
    const [ada, bob, cyd] = await Promise.all(['ada', 'bob', 'cyd'].map((n) => client(uniqueId(n))));
    const group = (await ada.post('/v1/chats', { type: 'group', participantIds: [bob.id, cyd.id], title: 'G' })).body.chat.id;
    expect((await ada.put(`/v1/me/blocks/${bob.id}`)).status).toBe(204);
    const [adaStart, cydStart] = [(await ada.get('/v1/sync')).body.cursor, (await cyd.get('/v1/sync')).body.cursor];
    const adaSocket = await ada.ws();
    try {
      const sent = (await bob.post(`/v1/chats/${group}/messages`, { content: 'bob secret' })).body.message;
      const reply = (await cyd.post(`/v1/chats/${group}/messages`, { content: 'cyd answers', replyTo: sent.id })).body.message;
      expect(reply.replyTo).toMatchObject({ id: sent.id, preview: 'bob secret' });
      // Live: the reply reaches the blocker with its quote hidden.
      const liveReply = await adaSocket.next((f) => f.type === 'message.new' && f.chatId === group && f.message.id === reply.id);
      expect(liveReply.message).toMatchObject({ content: 'cyd answers', replyTo: { id: sent.id, senderId: bob.id, preview: '', hidden: true } });
      expect(JSON.stringify(liveReply)).not.toContain('bob secret');
      expect((await bob.patch(`/v1/chats/${group}/messages/${sent.id}`, { content: 'bob secret, edited' })).status).toBe(200);
      await adaSocket.next((f) => f.type === 'message.edited' && f.chatId === group);

      const synced = async (user: typeof ada, cursor: string) => {
        await new Promise((r) => setTimeout(r, 3_200)); // past the log's settle time, so the cursor covers these changes
        const body = (await user.get(`/v1/sync?since=${encodeURIComponent(cursor)}`)).body;
        return (body.events as { type: string; chatId?: string; message?: { id: string; content: string } }[]).filter((e) => e.chatId === group && e.message);
      };
      const forAda = await synced(ada, adaStart);
      expect(forAda.map((e) => [e.type, e.message!.id])).toEqual([
        ['message.new', sent.id],
        ['message.new', reply.id],
        ['message.edited', sent.id],
      ]);
      expect(forAda[0]!.message).toMatchObject({ id: sent.id, senderId: bob.id, hidden: true, content: '', attachments: [] });
      expect(forAda[1]!.message).toMatchObject({ content: 'cyd answers', replyTo: { id: sent.id, preview: '', hidden: true } });
      expect(forAda[2]!.message).toMatchObject({ hidden: true, content: '' });
      expect(JSON.stringify(forAda)).not.toContain('bob secret');
      // Whoever does not block bob reads it all.
      const forCyd = await synced(cyd, cydStart);
      expect(forCyd.map((e) => e.message!.content)).toEqual(['bob secret', 'cyd answers', 'bob secret, edited']);
      expect(forCyd[1]!.message).toMatchObject({ replyTo: { preview: 'bob secret' } });
    } finally {
      await adaSocket.close();
    }
  });

  it('platform bans: the banned user\'s socket is closed, every route answers 403 banned, a new socket is refused with 403; lifted with banned:false', async () => {
    const [root, eve] = await Promise.all([admin(), client(uniqueId('eve'))]);
    const socket = await eve.ws();
    const ban = await root.put(`/v1/users/${eve.id}`, { banned: true, bannedReason: 'spam' });
    expect(ban.status).toBe(200);
    expect(ban.body.user).toMatchObject({ id: eve.id, banned: true, bannedReason: 'spam' });
    // Closed through @connections DELETE.
    await socket.closed;

    for (const answer of [await eve.get('/v1/me'), await eve.get('/v1/chats'), await eve.post('/v1/chats', { type: 'group', participantIds: [root.id] })]) {
      expect([answer.status, answer.body.code]).toEqual([403, 'banned']);
    }
    expect((await call(stack, 'GET', '/health')).status).toBe(200);
    expect((await refusal(stack.wsUrl, eve.token)).status).toBe(403);
    expect((await root.get(`/v1/users/${eve.id}`)).body.user.banned).toBe(true);
    const peer = await client(uniqueId('peer'));
    expect((await peer.get(`/v1/users/${eve.id}`)).body.user.banned).toBeUndefined();

    expect((await root.put(`/v1/users/${eve.id}`, { banned: false })).status).toBe(200);
    expect((await eve.get('/v1/me')).status).toBe(200);
    const again = await eve.ws();
    await again.close();
  });

  it('group bans remove the user and keep them out (409 banned) until unbanned; freezing stops sends but not reads', async () => {
    const [owner, mia, ned] = await Promise.all(['owner', 'mia', 'ned'].map((n) => client(uniqueId(n))));
    const chatId = (await owner.post('/v1/chats', { type: 'group', participantIds: [mia.id, ned.id], title: 'G' })).body.chat.id;
    const miaSocket = await mia.ws();
    try {
      const banned = await owner.post(`/v1/chats/${chatId}/bans`, { userId: mia.id, reason: 'rude' });
      expect(banned.status).toBe(201);
      expect(await miaSocket.next((f) => f.type === 'participant.removed')).toMatchObject({ chatId, userId: mia.id });
    } finally {
      await miaSocket.close();
    }
    expect((await mia.get(`/v1/chats/${chatId}/messages`)).status).toBe(404);
    const readd = await owner.post(`/v1/chats/${chatId}/participants`, { userIds: [mia.id] });
    expect([readd.status, readd.body.code]).toEqual([409, 'banned']);
    expect((await owner.get(`/v1/chats/${chatId}/bans`)).body.bans).toEqual([expect.objectContaining({ userId: mia.id, reason: 'rude', bannedBy: owner.id })]);
    expect((await ned.get(`/v1/chats/${chatId}/bans`)).status).toBe(403);
    expect((await owner.del(`/v1/chats/${chatId}/bans/${mia.id}`)).status).toBe(204);
    expect((await owner.post(`/v1/chats/${chatId}/participants`, { userIds: [mia.id] })).status).toBe(200);

    const frozen = await owner.patch(`/v1/chats/${chatId}`, { frozen: true });
    expect(frozen.body.chat.frozen).toBe(true);
    const send = await ned.post(`/v1/chats/${chatId}/messages`, { content: 'x' });
    expect([send.status, send.body.code]).toEqual([403, 'chat_frozen']);
    expect((await ned.get(`/v1/chats/${chatId}/messages`)).status).toBe(200);
    expect((await owner.patch(`/v1/chats/${chatId}`, { frozen: false })).body.chat.frozen).toBe(false);
  });

  it('reports: idempotent per reporter and message, on the local bus, in the admin queue; resolving with delete_message deletes it once', async () => {
    const [root, root2, ana, ben] = await Promise.all([admin(), admin(), client(uniqueId('ana')), client(uniqueId('ben'))]);
    const chatId = (await ana.post('/v1/chats', { type: 'direct', participantIds: [ben.id] })).body.chat.id;
    const message = (await ben.post(`/v1/chats/${chatId}/messages`, { content: 'buy my stuff' })).body.message;
    const first = await ana.post(`/v1/chats/${chatId}/messages/${message.id}/reports`, { reason: 'spam', details: 'ads' });
    expect(first.status).toBe(201);
    expect(first.body.report).toMatchObject({ chatId, messageId: message.id, reporterId: ana.id, reason: 'spam', status: 'open', message: { content: 'buy my stuff' } });
    const again = await ana.post(`/v1/chats/${chatId}/messages/${message.id}/reports`, { reason: 'other' });
    expect([again.status, again.body.report.id]).toEqual([200, first.body.report.id]);
    expect((await ana.post(`/v1/chats/${chatId}/messages/${message.id}/reports`, { reason: 'nope' })).status).toBe(400);

    const events = (await call(stack, 'GET', '/dev/events')).body.events as { detailType: string; detail: { reportId?: string } }[];
    expect(events.filter((e) => e.detailType === 'chat.report.created' && e.detail.reportId === first.body.report.id)).toHaveLength(1);

    expect((await ana.get('/v1/moderation/reports')).status).toBe(403);
    const queue = (await root.get('/v1/moderation/reports?status=open&limit=100')).body.reports as { id: string }[];
    expect(queue.map((r) => r.id)).toContain(first.body.report.id);

    const [one, two] = await Promise.all([
      root.patch(`/v1/moderation/reports/${first.body.report.id}`, { status: 'resolved', action: 'delete_message' }),
      root2.patch(`/v1/moderation/reports/${first.body.report.id}`, { status: 'resolved', action: 'delete_message' }),
    ]);
    expect([one.status, two.status].sort()).toEqual([200, 409]);
    const history = (await ana.get(`/v1/chats/${chatId}/messages`)).body.messages;
    expect(history[0]).toMatchObject({ id: message.id, content: '', deletedAt: expect.any(String) });
  });
});
