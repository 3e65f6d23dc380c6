/**
 * The SDK's ChatStore (sdk/src/store.ts): events applied to a replica of
 * chats and messages, list previews following edits and deletes, the
 * caller's marker and unread count, membership, and convergence: the same
 * changes delivered live, or as a sync replay with repeats and stale copies
 * through two ChatSockets), give the same state.
 */
import { describe, expect, it, vi } from 'vitest';
import { ChatStore, type Chat } from '../../sdk/src/index';
import { latest, message, openSocket } from '../support/fake-websocket';

const t = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, '0')}.000Z`;
const chat = (id: string, extra: Partial<Chat> = {}): Chat => ({
  id,
  type: 'group',
  title: 'G',
  createdBy: 'me',
  createdAt: t(0),
  updatedAt: t(0),
  lastSeq: 0,
  participants: [
    { userId: 'me', name: 'Me', role: 'owner', joinedAt: t(0), online: true },
    { userId: 'bob', name: 'Bob', role: 'member', joinedAt: t(0), online: false },
  ],
  unreadCount: 0,
  unreadMentions: 0,
  lastReadSeq: 0,
  archived: false,
  frozen: false,
  notificationLevel: 'all',
  ...extra,
});
const from = (sender: string, seq: number, chatId = 'c1') => ({ ...message(chatId, seq), senderId: sender });

describe('ChatStore', () => {
  it('messages move lastSeq, the preview and unread; own sends move the marker', () => {
    const store = new ChatStore('me');
    store.putChat(chat('c1'));
    store.apply({ type: 'message.new', chatId: 'c1', message: from('bob', 1) });
    store.apply({ type: 'message.new', chatId: 'c1', message: from('bob', 2) });
    expect(store.chats.get('c1')).toMatchObject({ lastSeq: 2, unreadCount: 2, lastReadSeq: 0, lastMessage: { id: 'm2', content: '#2' } });
    store.apply({ type: 'message.new', chatId: 'c1', message: from('me', 3) });
    expect(store.chats.get('c1')).toMatchObject({ lastSeq: 3, unreadCount: 0, lastReadSeq: 3 });
    store.apply({ type: 'message.new', chatId: 'c1', message: from('me', 3) }); // a repeat changes nothing
    expect(store.messageList('c1').map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it('the preview follows an edit and a delete of the last message (a deleted one is "" with deleted: true)', () => {
    const store = new ChatStore('me');
    store.putChat(chat('c1', { lastSeq: 4, lastMessage: { id: 'm4', seq: 4, senderId: 'bob', type: 'text', content: 'old', createdAt: t(1) } }));
    store.apply({ type: 'message.edited', chatId: 'c1', message: { ...from('bob', 4), content: 'new', editedAt: t(2) } });
    expect(store.chats.get('c1')?.lastMessage).toMatchObject({ content: 'new' });
    store.apply({ type: 'message.deleted', chatId: 'c1', messageId: 'm4', seq: 4, at: t(3) });
    expect(store.chats.get('c1')?.lastMessage).toMatchObject({ id: 'm4', content: '', deleted: true });
    // A chat.updated carrying the old preview does not bring the text back.
    store.apply({ type: 'chat.updated', chat: { ...chat('c1'), lastSeq: 4, lastMessage: { id: 'm4', seq: 4, senderId: 'bob', type: 'text', content: 'new', createdAt: t(1) } } });
    expect(store.chats.get('c1')?.lastMessage).toMatchObject({ deleted: true, content: '' });
  });

  it('edits, deletes, reactions and pins change the stored message; a delete empties it', () => {
    const store = new ChatStore('me');
    store.putChat(chat('c1'));
    store.putMessages('c1', [{ ...from('bob', 1), attachments: [{ id: 'a', filename: 'x.png', contentType: 'image/png', size: 1, kind: 'image', url: 'u', urlExpiresAt: t(9) }] }]);
    store.apply({ type: 'reaction.updated', chatId: 'c1', messageId: 'm1', reactions: { like: ['me'] }, at: t(1) });
    store.apply({ type: 'message.pinned', chatId: 'c1', messageId: 'm1', pinned: true, pinnedBy: 'me', pinnedAt: t(2), at: t(2) });
    expect(store.messageList('c1')[0]).toMatchObject({ reactions: { like: ['me'] }, pinnedBy: 'me' });
    store.apply({ type: 'message.deleted', chatId: 'c1', messageId: 'm1', seq: 1, at: t(3) });
    expect(store.messageList('c1')[0]).toMatchObject({ content: '', attachments: [], deletedAt: t(3) });
  });

  it("the caller's marker recounts unread from stored messages; others' markers are kept per reader", () => {
    const store = new ChatStore('me');
    store.putChat(chat('c1'));
    for (const [sender, seq] of [['bob', 1], ['me', 2], ['bob', 3], ['bob', 4]] as const) store.apply({ type: 'message.new', chatId: 'c1', message: from(sender, seq) });
    expect(store.chats.get('c1')?.unreadCount).toBe(2);
    store.apply({ type: 'messages.read', chatId: 'c1', userId: 'me', lastReadSeq: 3 });
    expect(store.chats.get('c1')).toMatchObject({ lastReadSeq: 3, unreadCount: 1 });
    store.apply({ type: 'messages.read', chatId: 'c1', userId: 'bob', lastReadSeq: 2 });
    expect(store.markers.get('c1')?.get('bob')).toBe(2);
  });

  it('membership: added members appear, removed ones go, the caller removed drops the chat; renames keep caller fields', () => {
    const store = new ChatStore('me');
    store.putChat(chat('c1', { unreadCount: 3, lastReadSeq: 1, lastSeq: 4 }));
    store.apply({ type: 'participants.added', chatId: 'c1', userIds: ['carol'], at: t(1) });
    store.apply({ type: 'participant.removed', chatId: 'c1', userId: 'bob', at: t(2) });
    expect(store.chats.get('c1')?.participants?.map((p) => p.userId)).toEqual(['me', 'carol']);
    store.putParticipantDetails('c1', [{ userId: 'carol', name: 'Carol', role: 'member', joinedAt: t(1), online: true }, { userId: 'bob', name: 'Bob', role: 'member', joinedAt: t(0), online: true }]);
    expect(store.chats.get('c1')?.participants?.map((p) => p.name)).toEqual(['Me', 'Carol']); // bob stays removed
    const { unreadCount: _u, lastReadSeq: _l, archived: _a, ...shared } = chat('c1', { title: 'Renamed', updatedAt: t(3), lastSeq: 4 });
    store.apply({ type: 'chat.updated', chat: shared, at: t(3) });
    expect(store.chats.get('c1')).toMatchObject({ title: 'Renamed', unreadCount: 3, lastReadSeq: 1 });
    store.apply({ type: 'membership.updated', chatId: 'c1', archived: true, notificationLevel: 'mentions', at: t(4) });
    expect(store.chats.get('c1')).toMatchObject({ archived: true, notificationLevel: 'mentions' });
    store.apply({ type: 'participant.removed', chatId: 'c1', userId: 'me', at: t(5) });
    expect(store.chats.has('c1')).toBe(false);
  });

  it("a sync's repeat of chat.created or chat.updated older than the app's read leaves the chat as read (unread, updatedAt, title)", () => {
    const store = new ChatStore('me');
    const created = chat('c1', { type: 'direct', title: undefined, updatedAt: t(1) });
    // The app read the chat after bob's message (unread 1); the sync then replays the seconds before its cursor.
    store.putChat({ ...created, updatedAt: t(3), lastSeq: 1, unreadCount: 1, title: 'Renamed', lastMessage: { id: 'm1', seq: 1, senderId: 'bob', type: 'text', content: '#1', createdAt: t(3) } });
    store.putMessages('c1', [from('bob', 1)]);
    store.apply({ type: 'chat.created', chat: created, at: t(1) });
    store.apply({ type: 'chat.updated', chat: { ...created, title: 'Old title', updatedAt: t(2) }, at: t(2) });
    store.apply({ type: 'message.new', chatId: 'c1', message: from('bob', 1), at: t(3) });
    expect(store.chats.get('c1')).toMatchObject({ unreadCount: 1, lastSeq: 1, updatedAt: t(3), title: 'Renamed' });
    // A newer chat.updated still applies; a chat.created after the caller's removal (added again) too.
    store.apply({ type: 'chat.updated', chat: { ...created, title: 'Newest', updatedAt: t(4) }, at: t(4) });
    expect(store.chats.get('c1')).toMatchObject({ title: 'Newest', unreadCount: 1 });
    store.apply({ type: 'participant.removed', chatId: 'c1', userId: 'me', at: t(5) });
    store.apply({ type: 'chat.created', chat: { ...created, updatedAt: t(6), unreadCount: 0, lastSeq: 1 }, at: t(6) });
    expect(store.chats.get('c1')).toMatchObject({ unreadCount: 0, updatedAt: t(6) });
  });

  it('converges through the socket: live in order vs offline (early live copies, then a sync replay with repeats)', async () => {
    vi.useFakeTimers();
    try {
      const events = [
        { type: 'message.new', chatId: 'c1', message: from('bob', 1), at: t(1) },
        { type: 'message.edited', chatId: 'c1', message: { ...from('bob', 1), content: 'v2', editedAt: t(2) }, at: t(2) },
        { type: 'reaction.updated', chatId: 'c1', messageId: 'm1', reactions: { like: ['bob'] }, at: t(3) },
        { type: 'message.edited', chatId: 'c1', message: { ...from('bob', 1), content: 'v3', editedAt: t(4) }, at: t(4) },
        { type: 'reaction.updated', chatId: 'c1', messageId: 'm1', reactions: {}, at: t(5) },
        { type: 'message.new', chatId: 'c1', message: from('me', 2), at: t(6) },
        { type: 'messages.read', chatId: 'c1', userId: 'bob', lastReadSeq: 2, readAt: t(7), at: t(7) },
        { type: 'message.deleted', chatId: 'c1', messageId: 'm2', seq: 2, at: t(8) },
        { type: 'chat.updated', chat: { ...chat('c1'), title: 'renamed', updatedAt: t(9) }, at: t(9) },
      ];
      const log: unknown[] = [];
      const api = {
        async sync(query: { since?: string } = {}) {
          const from = Number(query.since ?? log.length);
          return { events: log.slice(from) as never[], cursor: String(log.length), hasMore: false };
        },
        async listMessages() {
          return { messages: [], hasMore: false };
        },
      };
      const open = async (store: ChatStore) => {
        const socket = await openSocket({ api, store, userId: 'me', backoff: { initialMs: 10 } });
        socket.track('c1', 0);
        return { socket, ws: latest() };
      };
      const onlineStore = new ChatStore('me');
      const offlineStore = new ChatStore('me');
      for (const store of [onlineStore, offlineStore]) store.putChat(chat('c1'));
      const online = await open(onlineStore);
      const offline = await open(offlineStore);
      offline.ws.drop();
      log.push(...events);
      for (const event of events) online.ws.push(event);
      await vi.advanceTimersByTimeAsync(10);
      // Back online: the last changes arrive live before the sync answer replays everything.
      const synced = new Promise((resolve) => offline.socket.on('synced', resolve));
      latest().accept();
      for (const event of [events[7], events[4], events[8]]) latest().push(event!);
      await synced;
      log.push(events[3], events[2]); // boundary repeats in a second sync
      await offline.socket.sync();
      expect(offlineStore.snapshot()).toEqual(onlineStore.snapshot());
      expect(onlineStore.messageList('c1').map((m) => [m.content, m.reactions])).toEqual([
        ['v3', {}],
        ['', {}],
      ]);
      expect(onlineStore.chats.get('c1')).toMatchObject({ title: 'renamed', lastReadSeq: 2, lastMessage: { id: 'm2', deleted: true } });
      online.socket.close();
      offline.socket.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
