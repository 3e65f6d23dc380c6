/**
 * Convergence through the local gateway with real WebSocket clients (SPEC
 * §7): one user on two devices, each a ChatSocket feeding a ChatStore.
 * Device A stays online; device B loses its WebSocket (new connections are
 * refused) while every kind of change happens: sends, an edit, deletes
 * (including a chat's last message), reactions, a rename, participants
 * added and removed, a chat created with the user, the user's own removal
 * from another chat, the user's own send and marker move on device A, and an
 * archive. When B is let back in it syncs (one `GET /v1/sync`, paged with a
 * small limit, no request per chat) and its store must equal A's field by
 * field. The sync also repeats the seconds before B's cursor (SPEC §7), so
 * B sees the direct chat's `chat.created` again after its app read the chat
 * with an unread message: the store must not take that older copy.
 */
import { describe, expect, inject, it } from 'vitest';
import { ChatSocket, ChatStore, MemoryCursorStore } from '../../sdk/src/index';
import { client, uniqueId, type TestUser } from '../support/api';
import { ContractWebSocket } from '../support/contract';
import { counting, record } from '../support/sdk-events';

/** A WebSocket whose new connections can be refused (a device without network), like the browser tests' gate. */
function gatedWebSocket() {
  const gate = { blocked: false };
  class Gated extends ContractWebSocket {
    constructor(url: string) {
      super(gate.blocked ? url.replace('/ws?', '/offline?') : url);
    }
  }
  return { gate, WebSocket: Gated };
}

/** What an app does at start: connect (takes the cursor), then load chats, participants and history into the store. */
async function device(user: TestUser, options: Parameters<TestUser['socket']>[0] = {}) {
  const store = new ChatStore(user.id);
  const { api, calls } = counting(user.api);
  const socket = await user.socket({ api, store, cursorStore: new MemoryCursorStore(), userId: user.id, ...options });
  const { chats } = await user.api.listChats({ limit: 100 });
  for (const listed of chats) {
    const { chat } = await user.api.getChat(listed.id);
    store.putChat(chat);
    const { messages } = await user.api.listMessages(chat.id, { after: 0, limit: 100 });
    store.putMessages(chat.id, messages);
    socket.track(chat.id, chat.lastSeq);
  }
  return { store, socket, calls, events: record(socket) };
}

const settle = (ms = 400) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SDK sync end to end', () => {
  it('a device offline during every kind of change converges to the one that stayed online', async () => {
    const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((name) => client(uniqueId(`sync-${name}`), { name })));
    const { chat: g1 } = await alice.api.createChat({ type: 'group', title: 'Crew', participantIds: [bob.id, carol.id] });
    const { chat: g2 } = await alice.api.createChat({ type: 'group', title: 'Leaving', participantIds: [bob.id, carol.id] });
    const { chat: direct } = await alice.api.createChat({ type: 'direct', participantIds: [carol.id] });
    const m1 = (await alice.api.sendMessage(g1.id, { content: 'one' })).message;
    const m2 = (await bob.api.sendMessage(g1.id, { content: 'two' })).message;
    const m3 = (await alice.api.sendMessage(g1.id, { content: 'three' })).message;
    await alice.api.sendMessage(g2.id, { content: 'in the old group' });
    const d1 = (await alice.api.sendMessage(direct.id, { content: 'secret' })).message;

    const online = await device(carol);
    const { gate, WebSocket } = gatedWebSocket();
    const offline = await device(carol, { WebSocket: WebSocket as never, random: () => 1, backoff: { initialMs: 300, maxMs: 600 }, syncPageSize: 3 });
    expect(offline.store.snapshot()).toEqual(online.store.snapshot());

    try {
      gate.blocked = true;
      offline.socket.reconnect();
      await offline.events.next('status', (s) => s.state === 'reconnecting');
      const callsBefore = offline.calls.length;

      // Every kind of change, while B is offline.
      await online.socket.sendMessage({ chatId: g1.id, content: 'carol from device A' });
      await alice.api.sendMessage(g1.id, { content: 'four' });
      await alice.api.editMessage(g1.id, m1.id, { content: 'one (edited)' });
      await bob.api.deleteMessage(g1.id, m2.id);
      await bob.api.addReaction(g1.id, m3.id, 'like');
      await carol.api.addReaction(g1.id, m3.id, '🎉');
      await bob.api.addReaction(g1.id, m1.id, 'like');
      await bob.api.removeReaction(g1.id, m1.id, 'like');
      await alice.api.updateChat(g1.id, { title: 'Crew (renamed)' });
      await alice.api.addParticipants(g1.id, { userIds: [dave.id] });
      await alice.api.removeParticipant(g1.id, bob.id);
      const { chat: g3 } = await alice.api.createChat({ type: 'group', title: 'Brand new', participantIds: [carol.id] });
      await alice.api.sendMessage(g3.id, { content: 'welcome' });
      await alice.api.removeParticipant(g2.id, carol.id);
      await alice.api.deleteMessage(direct.id, d1.id);
      await carol.api.markRead(g1.id, {});
      await carol.api.archiveChat(direct.id, { archived: true });

      // A has seen everything live.
      await online.events.next('message.new', (e) => e.chatId === g3.id, 10_000);
      await online.events.next('participant.removed', (e) => e.chatId === g2.id && e.userId === carol.id, 10_000);
      await online.events.next('messages.read', (e) => e.chatId === g1.id && e.userId === carol.id, 10_000);
      await settle();
      expect(offline.events.of('message.new').filter((e) => !e.catchUp && e.chatId === g1.id)).toEqual([]);

      gate.blocked = false;
      await offline.events.next('synced', (e) => e.events > 0, 15_000);
      await settle(); // participant names re-read after membership changes

      // B's state is A's, field by field.
      await expect.poll(() => offline.store.snapshot(), { timeout: 5_000 }).toEqual(online.store.snapshot());
      // One sync (paged by 3), not a request per chat.
      const after = offline.calls.slice(callsBefore);
      expect(after.filter((c) => c === 'listMessages')).toEqual([]);
      expect(after.filter((c) => c === 'sync').length).toBeGreaterThan(1);

      // And that state is right.
      const s = offline.store;
      expect(s.chats.has(g2.id)).toBe(false);
      expect(s.chats.get(g3.id)).toMatchObject({ title: 'Brand new', lastMessage: { content: 'welcome' } });
      expect(s.chats.get(g1.id)).toMatchObject({ title: 'Crew (renamed)', lastReadSeq: 5, unreadCount: 0 });
      expect(s.chats.get(g1.id)?.participants?.map((p) => p.userId).sort()).toEqual([alice.id, carol.id, dave.id].sort());
      expect(s.messageList(g1.id).map((m) => [m.content, m.deletedAt ? 'deleted' : '', m.reactions])).toEqual([
        ['one (edited)', '', {}],
        ['', 'deleted', {}],
        ['three', '', { like: [bob.id], '🎉': [carol.id] }],
        ['carol from device A', '', {}],
        ['four', '', {}],
      ]);
      expect(s.chats.get(direct.id)?.lastMessage).toMatchObject({ id: d1.id, content: '', deleted: true });
    } finally {
      online.socket.close();
      offline.socket.close();
    }
  });

  it('a socket started with a stored cursor (an app restart) emits what happened since, once, in order, before connect() resolves', async () => {
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((name) => client(uniqueId(`sync-${name}`), { name })));
    const { chat } = await alice.api.createChat({ type: 'direct', participantIds: [bob.id] });
    const cursorStore = new MemoryCursorStore();
    (await bob.socket({ cursorStore })).close();
    const taken = cursorStore.get();
    expect(taken).toEqual(expect.any(String));
    const sent = [];
    for (const content of ['a', 'b', 'c']) sent.push((await alice.api.sendMessage(chat.id, { content })).message);
    await alice.api.editMessage(chat.id, sent[0]!.id, { content: 'a!' });
    await alice.api.addReaction(chat.id, sent[1]!.id, 'like');

    const socket = new ChatSocket({ url: inject('stack').wsUrl, token: bob.token, api: bob.api, WebSocket: ContractWebSocket as never, cursorStore, syncPageSize: 2 });
    const events = record(socket);
    try {
      await socket.connect();
      const news = events.of('message.new').filter((e) => e.chatId === chat.id);
      expect(news.map((e) => [e.message.seq, e.catchUp])).toEqual([
        [1, true],
        [2, true],
        [3, true],
      ]);
      // The edit is folded into nothing older: it comes as its own event after the message, like live.
      expect(events.of('message.edited').map((e) => e.message.content)).toEqual(['a!']);
      expect(events.of('reaction.updated').map((e) => e.reactions)).toEqual([{ like: [alice.id] }]);
      expect(events.of('synced')).toEqual([expect.objectContaining({ fresh: false, expired: false, pages: expect.any(Number) })]);
      expect(cursorStore.get()).not.toBe(taken);
      // A second sync from the new cursor has nothing new to emit.
      const before = events.all.length;
      await socket.sync();
      expect(events.all.slice(before).map((e) => e.type)).toEqual(['synced']);
    } finally {
      socket.close();
    }
  });
});
