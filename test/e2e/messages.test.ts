/**
 * Message operations end to end (SPEC §4-§6, issue 4): edit, delete,
 * reactions, search, idempotent send, rate limits and offline
 * notifications, through the local gateway with real WebSocket clients.
 */
import { describe, expect, inject, it } from 'vitest';
import { call, client, uniqueId, type TestUser } from '../support/api';

const stack = inject('stack');
const isType = (type: string, chatId: string) => (f: any) => f?.type === type && f.chatId === chatId;

async function pair(): Promise<[TestUser, TestUser, string]> {
  const [ada, bob] = await Promise.all(['ada', 'bob'].map((n) => client(uniqueId(n))));
  const res = await ada.post('/v1/chats', { type: 'direct', participantIds: [bob.id] });
  return [ada, bob, res.body.chat.id];
}

describe('message operations', () => {
  it('edits, reacts and deletes with events to every participant', async () => {
    const [ada, bob, chatId] = await pair();
    const bobWs = await bob.ws();
    const sent = (await ada.post(`/v1/chats/${chatId}/messages`, { content: 'helo' })).body.message;
    const base = `/v1/chats/${chatId}/messages/${sent.id}`;

    const edited = await ada.patch(base, { content: 'hello' });
    expect(edited.status).toBe(200);
    expect(edited.body.message).toMatchObject({ content: 'hello', editedAt: expect.any(String) });
    expect((await bobWs.next(isType('message.edited', chatId))).message.content).toBe('hello');
    expect((await bob.patch(base, { content: 'not mine' })).status).toBe(403);

    const like = await call(stack, 'PUT', `${base}/reactions/${encodeURIComponent('👍')}`, { token: bob.token });
    expect(like.status).toBe(200);
    expect(like.body.message.reactions).toEqual({ '👍': [bob.id] });
    expect(await bobWs.next(isType('reaction.updated', chatId))).toEqual({ type: 'reaction.updated', chatId, messageId: sent.id, reactions: { '👍': [bob.id] } });
    expect((await call(stack, 'PUT', `${base}/reactions/love`, { token: bob.token })).status).toBe(400);
    expect((await call(stack, 'DELETE', `${base}/reactions/${encodeURIComponent('👍')}`, { token: bob.token })).body.message.reactions).toEqual({});

    expect((await bob.del(base)).status).toBe(403);
    const deleted = await ada.del(base);
    expect(deleted.status).toBe(200);
    expect(deleted.body.message).toMatchObject({ id: sent.id, seq: sent.seq, content: '', deletedAt: expect.any(String) });
    expect(await bobWs.next(isType('message.deleted', chatId))).toEqual({ type: 'message.deleted', chatId, messageId: sent.id, seq: sent.seq });
    expect((await ada.del(base)).status).toBe(200);
    expect(await bobWs.quiet(isType('message.deleted', chatId), 300)).toBe(true);
    expect((await bob.get(`/v1/chats/${chatId}/messages`)).body.messages[0]).toMatchObject({ content: '', deletedAt: expect.any(String) });
    await bobWs.close();
  });

  it('replies and searches', async () => {
    const [ada, bob, chatId] = await pair();
    const question = (await ada.post(`/v1/chats/${chatId}/messages`, { content: 'Where is the TRACTOR?' })).body.message;
    const reply = await bob.post(`/v1/chats/${chatId}/messages`, { content: 'The tractor is in the barn', replyTo: question.id });
    expect(reply.body.message.replyTo).toEqual({ id: question.id, seq: 1, senderId: ada.id, preview: 'Where is the TRACTOR?' });
    await ada.post(`/v1/chats/${chatId}/messages`, { content: 'thanks' });
    const found = await ada.get(`/v1/chats/${chatId}/messages?q=tractor`);
    expect(found.body.messages.map((m: any) => m.seq)).toEqual([1, 2]);
    expect(found.body.hasMore).toBe(false);
    const paged = await ada.get(`/v1/chats/${chatId}/messages?q=Tractor&limit=1`);
    expect(paged.body).toMatchObject({ hasMore: true, messages: [{ seq: 2 }] });
    const rest = await ada.get(`/v1/chats/${chatId}/messages?q=Tractor&limit=1&before=${paged.body.nextCursor}`);
    expect(rest.body.messages.map((m: any) => m.seq)).toEqual([1]);
  });

  it('answers a repeated clientMessageId with the first message (200), also when the repeats race', async () => {
    const [ada, , chatId] = await pair();
    const body = { content: 'pay invoice #12', clientMessageId: uniqueId('cm') };
    const first = await ada.post(`/v1/chats/${chatId}/messages`, body);
    const again = await ada.post(`/v1/chats/${chatId}/messages`, body);
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.message.id).toBe(first.body.message.id);

    const racing = await Promise.all([1, 2, 3].map(() => ada.post(`/v1/chats/${chatId}/messages`, { content: 'race', clientMessageId: 'same-id' })));
    expect(racing.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    expect(new Set(racing.map((r) => r.body.message.id)).size).toBe(1);
    expect((await ada.get(`/v1/chats/${chatId}/messages`)).body.messages).toHaveLength(2);
  });
});

describe('rate limit', () => {
  it('counts HTTP and WebSocket together: 429 with Retry-After on HTTP, an error frame on WebSocket', async () => {
    const [ada, , chatId] = await pair();
    const sends = await Promise.all(Array.from({ length: 20 }, (_, i) => ada.post(`/v1/chats/${chatId}/messages`, { content: `m${i}` })));
    expect(sends.every((r) => r.status === 201)).toBe(true);
    const ws = await ada.ws();
    const frame = await ws.request('sendMessage', { chatId, content: 'over the limit' });
    expect(frame).toMatchObject({ type: 'error', code: 'rate_limited', retryAfter: expect.any(Number) });
    const http = await ada.post(`/v1/chats/${chatId}/messages`, { content: 'over the limit' });
    expect(http.status).toBe(429);
    expect(http.body).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(Number(http.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await ws.request('ping')).toMatchObject({ type: 'pong' });
    await ws.close();
  });
});

describe('offline notifications', () => {
  it('publishes one notification per participant without an open connection', async () => {
    const [ada, bob] = await pair();
    const carol = await client(uniqueId('carol'));
    const group = (await ada.post('/v1/chats', { type: 'group', participantIds: [bob.id, carol.id] })).body.chat.id;
    const carolWs = await carol.ws();
    const sent = (await ada.post(`/v1/chats/${group}/messages`, { content: 'Are you there, Bob?' })).body.message;
    await expect
      .poll(async () => {
        const { notifications } = (await call(stack, 'GET', '/dev/notifications')).body;
        return notifications.filter((n: any) => n.messageId === sent.id);
      })
      .toEqual([{ recipientId: bob.id, chatId: group, messageId: sent.id, senderId: ada.id, preview: 'Are you there, Bob?' }]);
    await carolWs.close();
  });
});
