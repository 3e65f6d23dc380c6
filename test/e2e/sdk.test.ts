/**
 * The client SDK (`sdk/`) against the local stack, as an application uses
 * it: every HTTP route through its typed method, real-time chat through
 * ChatSocket, and a connection cut from the server side in the middle of a
 * conversation, after which the socket reconnects and catches up with every
 * missed message exactly once.
 */
import { describe, expect, it } from 'vitest';
import { ChatApiError, routes, type OperationName } from '../../sdk/src/index';
import { client, uniqueId } from '../support/api';
import { connectionIdsOf, deleteConnection } from '../support/connections';
import { counting, record } from '../support/sdk-events';

/** Cuts every open connection of `userId` the way API Gateway would (`DELETE @connections/{id}`); answers how many. */
async function cutConnections(userId: string): Promise<number> {
  const ids = await connectionIdsOf(userId);
  for (const id of ids) expect(await deleteConnection(id)).toBe(204);
  return ids.length;
}

describe('client SDK end to end', () => {
  it('calls every HTTP route through its typed method', async () => {
    const admin = await client(uniqueId('sdk-admin'), { name: 'Admin', roles: ['admin', 'support'] });
    const bob = await client(uniqueId('sdk-bob'), { name: 'Bob' });
    const carol = await client(uniqueId('sdk-carol'), { name: 'Carol' });
    const { api, calls } = counting(admin.api);

    expect((await api.health({ deep: '1' })).status).toBe('ok');
    expect(await api.openApi()).toMatchObject({ openapi: '3.1.0' });
    expect(await api.asyncApi()).toMatchObject({ asyncapi: '3.0.0' });
    expect(await api.docs()).toContain('openapi.json');
    expect(await api.docs({ api: 'websocket' })).toContain('spec-url="asyncapi.json"');
    expect(String(await api.docsRenderer())).toContain('Redoc');
    expect((await api.getMe()).user.id).toBe(admin.id);
    const dave = uniqueId('sdk-dave');
    expect((await api.putUser(dave, { name: 'Dave' })).user).toMatchObject({ id: dave, name: 'Dave' });
    expect((await api.getUser(bob.id)).user).toMatchObject({ id: bob.id, online: false });

    const { chat: group } = await api.createChat({ type: 'group', title: 'SDK', participantIds: [bob.id] });
    expect((await api.addParticipants(group.id, { userIds: [carol.id, dave] })).chat.participants?.map((p) => p.userId)).toEqual(expect.arrayContaining([carol.id, dave]));
    await expect(api.removeParticipant(group.id, dave)).resolves.toBeUndefined();
    expect((await api.updateChat(group.id, { title: 'SDK renamed' })).chat.title).toBe('SDK renamed');

    const { message } = await api.sendMessage(group.id, { content: 'hello sdk' });
    expect(message).toMatchObject({ seq: 1, senderId: admin.id, clientMessageId: expect.any(String) });
    expect((await api.editMessage(group.id, message.id, { content: 'hello, sdk' })).message.content).toBe('hello, sdk');
    expect((await api.addReaction(group.id, message.id, 'like')).message.reactions).toEqual({ like: [admin.id] });
    expect((await api.removeReaction(group.id, message.id, 'like')).message.reactions).toEqual({});
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const attachment = await api.uploadAttachment(group.id, png, { filename: 'pixel.png', contentType: 'image/png' });
    const withImage = (await api.sendMessage(group.id, { attachmentIds: [attachment.id], replyTo: message.id })).message;
    expect(withImage.attachments[0]).toMatchObject({ id: attachment.id, contentType: 'image/png', size: png.byteLength });
    expect(new Uint8Array(await (await fetch(withImage.attachments[0]!.url)).arrayBuffer())).toEqual(png);
    expect(withImage.replyTo).toMatchObject({ id: message.id });

    const page = await api.listMessages(group.id, { after: 0, limit: 10 });
    expect(page.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect((await api.listMessages(group.id, { q: 'SDK' })).messages.map((m) => m.id)).toEqual([message.id]);
    expect((await api.getChat(group.id)).chat.lastSeq).toBe(2);
    expect((await api.listChats({ type: 'group' })).chats.map((c) => c.id)).toContain(group.id);
    expect(await api.markRead(group.id, {})).toEqual({ lastReadSeq: 2, unreadCount: 0 });
    expect((await api.archiveChat(group.id, { archived: true })).chat.archived).toBe(true);
    expect(await api.getStats()).toMatchObject({ chats: expect.any(Number), unreadChats: expect.any(Number) });
    expect((await api.deleteMessage(group.id, message.id)).message.deletedAt).toEqual(expect.any(String));

    const sent = await api.sendToUser({ to: bob.id, content: 'direct via sdk' });
    expect(sent.chat.type).toBe('direct');

    const { chat: ticket } = await carol.api.openSupportChat({ subject: 'Help', initialMessage: 'my order' });
    calls.push('openSupportChat'); // called as carol above
    expect((await api.supportQueue({ status: ticket.status })).chats.length).toBeGreaterThan(0);
    expect((await api.assignChat(ticket.id, { agentId: admin.id })).chat.assigneeId).toBe(admin.id);
    expect(await api.supportStats()).toMatchObject({ byStatus: expect.any(Object) });
    const { cursor } = await api.sync();
    // A cursor never moves past now − 3 s (SPEC §7 allows repeats at a boundary), so this page may have more.
    expect(await api.sync({ since: cursor, limit: 10 })).toMatchObject({ hasMore: expect.any(Boolean), cursor: expect.any(String) });

    // Routes of this round are driven end to end in their own suites (through HTTP with the same contract
    // checks); here the SDK must still expose a typed method for each, and a route in neither list fails.
    const elsewhere: Record<string, string> = {
      banFromChat: 'moderation', unbanFromChat: 'moderation', listChatBans: 'moderation', blockUser: 'moderation',
      unblockUser: 'moderation', listBlocks: 'moderation', reportMessage: 'moderation', listReports: 'moderation',
      resolveReport: 'moderation', registerDevice: 'notifications', getDevice: 'notifications', listDevices: 'notifications',
      deleteDevice: 'notifications', setNotificationLevel: 'notifications', pinMessage: 'pins', unpinMessage: 'pins',
      listPins: 'pins', eraseMe: 'governance', eraseUser: 'governance', getErasure: 'governance', exportMe: 'governance',
      exportUser: 'governance', getExport: 'governance',
    };
    for (const name of Object.keys(elsewhere)) expect(typeof (api as unknown as Record<string, unknown>)[name], name).toBe('function');
    expect([...new Set([...calls, ...Object.keys(elsewhere)])].sort()).toEqual((Object.keys(routes) as OperationName[]).sort());
  });

  it('maps problems to ChatApiError with the server\'s code', async () => {
    const eve = await client(uniqueId('sdk-eve'));
    const error = await eve.api.getChat('doesnotexist').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatApiError);
    expect(error).toMatchObject({ status: 404, code: 'not_found' });
    await expect(eve.api.putUser(uniqueId('x'), { name: 'X' })).rejects.toMatchObject({ status: 403, code: 'forbidden' });
  });

  it('chats in real time over ChatSocket: messages, typing, read receipts, edits and reactions', async () => {
    const alice = await client(uniqueId('sdk-alice'), { name: 'Alice' });
    const bob = await client(uniqueId('sdk-bob'), { name: 'Bob' });
    const aliceSocket = await alice.socket();
    const bobSocket = await bob.socket();
    const aliceEvents = record(aliceSocket);
    const bobEvents = record(bobSocket);
    try {
      const { chat } = await alice.api.createChat({ type: 'direct', participantIds: [bob.id] });
      await bobEvents.next('chat.created', (e) => e.chat.id === chat.id);
      // The creator's own connections hear of it too (their other devices), SPEC §6.
      await aliceEvents.next('chat.created', (e) => e.chat.id === chat.id);

      const sent = await aliceSocket.sendMessage({ chatId: chat.id, content: 'hi Bob' });
      expect(sent).toMatchObject({ seq: 1, senderId: alice.id, content: 'hi Bob' });
      expect((await bobEvents.next('message.new', (e) => e.chatId === chat.id)).message.id).toBe(sent.id);
      // The sender's own socket gets it too (other devices), once.
      await aliceEvents.next('message.new', (e) => e.message.id === sent.id);

      bobSocket.typing(chat.id);
      bobSocket.typing(chat.id);
      expect(await aliceEvents.next('typing', (e) => e.chatId === chat.id)).toMatchObject({ userId: bob.id, isTyping: true });
      const reply = await bobSocket.sendMessage({ chatId: chat.id, content: 'hi Alice', replyTo: sent.id });
      expect((await aliceEvents.next('message.new', (e) => e.message.id === reply.id)).message.replyTo).toMatchObject({ id: sent.id });
      // Throttled twice: the SDK sent one start for two keystrokes, and the server relays at most one typing event per
      // user and chat every 2 s (SPEC §5), so the stop the send fired right after is dropped; the message ends the typing.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(aliceEvents.of('typing')).toHaveLength(1);

      expect(await aliceSocket.markRead({ chatId: chat.id })).toEqual({ lastReadSeq: 2, unreadCount: 0 });
      expect(await bobEvents.next('messages.read', (e) => e.chatId === chat.id && e.userId === alice.id)).toMatchObject({ lastReadSeq: 2 });

      await alice.api.editMessage(chat.id, sent.id, { content: 'hi Bob!' });
      expect((await bobEvents.next('message.edited')).message.content).toBe('hi Bob!');
      await bob.api.addReaction(chat.id, sent.id, '👍');
      expect(await aliceEvents.next('reaction.updated')).toMatchObject({ messageId: sent.id, reactions: { '👍': [bob.id] } });
      expect(await aliceSocket.ping()).toBeUndefined();
    } finally {
      aliceSocket.close();
      bobSocket.close();
    }
  });

  it('reconnects after the server cuts the connection and catches up every missed message exactly once', async () => {
    const alice = await client(uniqueId('sdk-alice'));
    const bob = await client(uniqueId('sdk-bob'));
    // A fixed 1.5 s reconnect delay (jitter pinned) leaves a window to send while Bob is offline.
    const bobSocket = await bob.socket({ random: () => 1, backoff: { initialMs: 1_500 } });
    const bobEvents = record(bobSocket);
    try {
      const { chat } = await alice.api.createChat({ type: 'direct', participantIds: [bob.id] });
      for (const content of ['one', 'two']) await alice.api.sendMessage(chat.id, { content });
      await bobEvents.next('message.new', (e) => e.message.seq === 2);

      expect(await cutConnections(bob.id)).toBe(1);
      await bobEvents.next('status', (s) => s.state === 'reconnecting');
      for (const content of ['three', 'four', 'five']) await alice.api.sendMessage(chat.id, { content });

      // The server has GET /v1/sync (SPEC §7): one sync instead of a catch-up per chat.
      expect(await bobEvents.next('synced', undefined, 10_000)).toMatchObject({ expired: false, fresh: false });
      await alice.api.sendMessage(chat.id, { content: 'six' });
      await bobEvents.next('message.new', (e) => e.message.seq === 6);

      const received = bobEvents.of('message.new').filter((e) => e.chatId === chat.id);
      expect(received.map((e) => e.message.content)).toEqual(['one', 'two', 'three', 'four', 'five', 'six']);
      expect(received.filter((e) => e.catchUp).map((e) => e.message.seq)).toEqual([3, 4, 5]);
      expect(bobSocket.lastSeq(chat.id)).toBe(6);
      expect(bobSocket.state).toBe('open');
    } finally {
      bobSocket.close();
    }
  });

  it('resends an unanswered send on the new connection without storing it twice', async () => {
    const alice = await client(uniqueId('sdk-alice'));
    const bob = await client(uniqueId('sdk-bob'));
    const aliceSocket = await alice.socket({ random: () => 1, backoff: { initialMs: 300 } });
    try {
      const { chat } = await alice.api.createChat({ type: 'direct', participantIds: [bob.id] });
      // Cut the connection right after the frame leaves: the ack may be lost, the send is repeated.
      const sending = aliceSocket.sendMessage({ chatId: chat.id, content: 'exactly once', clientMessageId: uniqueId('cmid') });
      await cutConnections(alice.id);
      const message = await sending;
      expect(message.content).toBe('exactly once');
      const { messages } = await alice.api.listMessages(chat.id);
      expect(messages.filter((m) => m.content === 'exactly once')).toHaveLength(1);
    } finally {
      aliceSocket.close();
    }
  });
});
