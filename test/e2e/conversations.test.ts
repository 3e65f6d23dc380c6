/**
 * Conversations end to end (SPEC §3-§6, issue 3): groups, support desk,
 * send-to-user, archive and presence, through the local gateway with the
 * client SDK (raw requests only for bodies its types would refuse).
 */
import { describe, expect, it } from 'vitest';
import type { ChatSocket } from '../../sdk/src/index';
import { client, uniqueId, type TestUser } from '../support/api';
import { record, withStatus } from '../support/sdk-events';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function group(owner: TestUser, members: TestUser[]) {
  return (await owner.api.createChat({ type: 'group', participantIds: members.map((m) => m.id), title: 'Crew' })).chat.id;
}

describe('groups', () => {
  it('adds and removes participants with events; a removed participant is cut off on HTTP and WebSocket at once', async () => {
    const [owner, ann, ben, cat] = await Promise.all(['owner', 'ann', 'ben', 'cat'].map((n) => client(uniqueId(n))));
    const chatId = await group(owner, [ann, ben]);
    const [annSocket, catSocket] = await Promise.all([ann.socket(), cat.socket()]);
    const [annEvents, catEvents] = [record(annSocket), record(catSocket)];
    try {
      const added = await owner.api.addParticipants(chatId, { userIds: [cat.id] });
      expect(added.chat.participants?.map((p) => p.userId).sort()).toEqual([ann.id, ben.id, cat.id, owner.id].sort());
      expect(await catEvents.next('participants.added', (e) => e.chatId === chatId)).toEqual({ type: 'participants.added', chatId, userIds: [cat.id], at: expect.any(String) });
      expect(await annEvents.next('participants.added', (e) => e.chatId === chatId)).toMatchObject({ userIds: [cat.id] });
      await expect(ann.api.addParticipants(chatId, { userIds: [owner.id] })).rejects.toMatchObject({ status: 403, code: 'forbidden' });

      await expect(owner.api.removeParticipant(chatId, cat.id)).resolves.toBeUndefined(); // 204
      expect(await catEvents.next('participant.removed', (e) => e.chatId === chatId)).toEqual({ type: 'participant.removed', chatId, userId: cat.id, at: expect.any(String) });
      expect(await annEvents.next('participant.removed', (e) => e.chatId === chatId)).toMatchObject({ userId: cat.id });

      const notFound = { status: 404, code: 'not_found' };
      await expect(cat.api.getChat(chatId)).rejects.toMatchObject(notFound);
      await expect(cat.api.listMessages(chatId)).rejects.toMatchObject(notFound);
      await expect(cat.api.sendMessage(chatId, { content: 'still here?' })).rejects.toMatchObject(notFound);
      await expect(catSocket.sendMessage({ chatId, content: 'x' })).rejects.toMatchObject({ code: 'not_found' });
      await expect(catSocket.request('typing', { chatId, isTyping: true })).rejects.toMatchObject({ code: 'not_found' });

      await owner.api.sendMessage(chatId, { content: 'after removal' });
      expect((await annEvents.next('message.new', (e) => e.chatId === chatId)).message.content).toBe('after removal');
      await sleep(400);
      expect(catEvents.of('message.new').filter((e) => e.chatId === chatId)).toEqual([]);

      // Leaving is removing yourself.
      await expect(ben.api.removeParticipant(chatId, ben.id)).resolves.toBeUndefined(); // 204
      await expect(ben.api.getChat(chatId)).rejects.toMatchObject(notFound);
    } finally {
      annSocket.close();
      catSocket.close();
    }
  });

  it('renames a group (owner only) and emits chat.updated', async () => {
    const [owner, ann] = await Promise.all(['owner', 'ann'].map((n) => client(uniqueId(n))));
    const chatId = await group(owner, [ann]);
    const annSocket = await ann.socket();
    const annEvents = record(annSocket);
    try {
      await expect(ann.api.updateChat(chatId, { title: 'Mine' })).rejects.toMatchObject({ status: 403, code: 'forbidden' });
      const renamed = await owner.api.updateChat(chatId, { title: 'Harvest 2026', metadata: { season: 'autumn' } });
      expect(renamed.chat).toMatchObject({ title: 'Harvest 2026', metadata: { season: 'autumn' } });
      expect((await annEvents.next('chat.updated', (e) => e.chat.id === chatId)).chat).toMatchObject({ title: 'Harvest 2026' });
      await expect(owner.api.updateChat(chatId, { title: 'x'.repeat(101) })).rejects.toMatchObject({ status: 400, code: 'bad_request' });
    } finally {
      annSocket.close();
    }
  });
});

describe('context chats and send-to-user', () => {
  it('creates one chat per context, apart from the plain direct chat', async () => {
    const [buyer, seller] = await Promise.all(['buyer', 'seller'].map((n) => client(uniqueId(n))));
    const context = { type: 'purchase-request', id: uniqueId('pr') };
    const racing = await Promise.all([
      withStatus(buyer, (api) => api.createChat({ type: 'direct', participantIds: [seller.id], context })),
      withStatus(seller, (api) => api.createChat({ type: 'direct', participantIds: [buyer.id], context })),
    ]);
    expect(racing.map((r) => r.status).sort()).toEqual([200, 201]);
    expect(racing[0].body.chat.id).toBe(racing[1].body.chat.id);
    expect(racing[0].body.chat.context).toEqual(context);
    const plain = await buyer.api.createChat({ type: 'direct', participantIds: [seller.id] });
    expect(plain.chat.id).not.toBe(racing[0].body.chat.id);
  });

  it('sends to a user over HTTP and WebSocket, creating the direct chat once', async () => {
    const [ada, bob] = await Promise.all(['ada', 'bob'].map((n) => client(uniqueId(n))));
    const bobSocket = await bob.socket();
    const bobEvents = record(bobSocket);
    try {
      const first = await withStatus(ada, (api) => api.sendToUser({ to: bob.id, content: 'hello there' }));
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ message: { seq: 1, content: 'hello there' }, chat: { type: 'direct', lastSeq: 1, unreadCount: 0 } });
      expect((await bobEvents.next('chat.created')).chat.id).toBe(first.body.chat.id);
      expect((await bobEvents.next('message.new')).message.id).toBe(first.body.message.id);

      // `request` rather than `sendMessage()`, which answers the message only: the ack also carries the chat.
      const viaWs = await bobSocket.request('sendMessage', { to: ada.id, content: 'hi back' });
      expect(viaWs).toMatchObject({ type: 'ack', message: { seq: 2, chatId: first.body.chat.id }, chat: { id: first.body.chat.id } });
      await expect(ada.api.sendToUser({ to: uniqueId('ghost'), content: 'x' })).rejects.toMatchObject({ status: 404, code: 'not_found' });
      // Raw: the SDK's types require `to`.
      expect((await ada.post('/v1/messages', { content: 'x' })).status).toBe(400);
    } finally {
      bobSocket.close();
    }
  });
});

describe('archive', () => {
  it('hides an archived chat from the caller\'s default list only', async () => {
    const [ada, bob] = await Promise.all(['ada', 'bob'].map((n) => client(uniqueId(n))));
    const chatId = (await ada.api.createChat({ type: 'direct', participantIds: [bob.id] })).chat.id;
    const archived = await bob.api.archiveChat(chatId, { archived: true });
    expect(archived.chat.archived).toBe(true);
    expect((await bob.api.listChats()).chats).toEqual([]);
    expect((await bob.api.listChats({ archived: 'true' })).chats.map((c) => c.id)).toEqual([chatId]);
    expect((await ada.api.listChats()).chats.map((c) => c.id)).toEqual([chatId]);
    // Raw: the SDK's types require `archived`.
    expect((await bob.put(`/v1/chats/${chatId}/archive`, {})).status).toBe(400);
    const stranger = await client(uniqueId('stranger'));
    await expect(stranger.api.archiveChat(chatId, { archived: true })).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });
});

describe('support desk', () => {
  it('runs a support conversation from request to close, with queue, events and stats', async () => {
    // Agents are found through the directory; a fresh agent with no load gets the next chat.
    const agent = await client(uniqueId('agent'), { roles: ['support'] });
    const admin = await client(uniqueId('admin'), { roles: ['admin'] });
    const farmer = await client(uniqueId('farmer'));
    const agentSocket = await agent.socket();
    const agentEvents = record(agentSocket);
    let farmerSocket: ChatSocket | undefined;
    try {
      const opened = await withStatus(farmer, (api) => api.openSupportChat({ subject: 'Leaf rust', initialMessage: 'My wheat has orange spots' }));
      expect(opened.status).toBe(201);
      const chat = opened.body.chat;
      expect(chat).toMatchObject({ type: 'support', status: 'open', title: 'Leaf rust', lastSeq: 1, createdBy: farmer.id });
      const assignee = chat.assigneeId as string;
      expect(assignee).toEqual(expect.any(String));
      if (assignee !== agent.id) {
        // Other tests' agents may be less loaded; reassign so this test's agent owns it.
        expect((await admin.api.assignChat(chat.id, { agentId: agent.id })).chat.assigneeId).toBe(agent.id);
      } else {
        expect((await agentEvents.next('chat.created', (e) => e.chat.id === chat.id)).chat.type).toBe('support');
      }
      // While the chat is not closed, asking again answers it (200), without a new chat.
      expect((await withStatus(farmer, (api) => api.openSupportChat({}))).status).toBe(200);

      const queue = await agent.api.supportQueue({ assigneeId: agent.id });
      expect(queue.chats.map((c) => c.id)).toEqual([chat.id]);
      await expect(farmer.api.supportQueue()).rejects.toMatchObject({ status: 403, code: 'forbidden' });
      await expect(farmer.api.supportStats()).rejects.toMatchObject({ status: 403, code: 'forbidden' });

      await agent.api.sendMessage(chat.id, { content: 'Spray fungicide' });
      farmerSocket = await farmer.socket();
      const farmerEvents = record(farmerSocket);
      await expect(farmer.api.updateChat(chat.id, { status: 'closed' })).rejects.toMatchObject({ status: 403, code: 'forbidden' });
      expect((await agent.api.updateChat(chat.id, { status: 'resolved' })).chat.status).toBe('resolved');
      expect((await farmerEvents.next('chat.updated', (e) => e.chat.id === chat.id)).chat.status).toBe('resolved');
      expect((await agent.api.updateChat(chat.id, { status: 'closed' })).chat.status).toBe('closed');
      await expect(agent.api.updateChat(chat.id, { status: 'open' })).rejects.toMatchObject({ status: 409, code: 'conflict' });

      const reopened = await withStatus(farmer, (api) => api.openSupportChat({}));
      expect(reopened.status).toBe(201);
      expect(reopened.body.chat.id).not.toBe(chat.id);

      const stats = await admin.api.supportStats();
      expect(stats.byStatus.closed).toBeGreaterThanOrEqual(1);
      expect(stats.medianFirstResponseSeconds).toEqual(expect.any(Number));
      await expect(farmer.api.assignChat(reopened.body.chat.id, { agentId: agent.id })).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    } finally {
      agentSocket.close();
      farmerSocket?.close();
    }
  });
});

describe('presence', () => {
  it('tells direct contacts when a user comes online and goes offline', async () => {
    const [ada, bob] = await Promise.all(['ada', 'bob'].map((n) => client(uniqueId(n))));
    await ada.api.createChat({ type: 'direct', participantIds: [bob.id] });
    const adaSocket = await ada.socket();
    const adaEvents = record(adaSocket);
    try {
      const bobSocket = await bob.socket();
      expect(await adaEvents.next('presence', (e) => e.userId === bob.id)).toEqual({ type: 'presence', userId: bob.id, online: true });
      bobSocket.close();
      const offline = await adaEvents.next('presence', (e) => e.userId === bob.id && e.online === false);
      expect(offline.lastSeenAt).toEqual(expect.any(String));
      expect((await ada.api.getUser(bob.id)).user).toMatchObject({ online: false, lastSeenAt: offline.lastSeenAt });
    } finally {
      adaSocket.close();
    }
  });
});
