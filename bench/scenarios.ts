/**
 * The measured operations of `npm run bench`, one function per scenario,
 * each answering the {@link OperationSpec} that `./measure` runs several
 * times. {@link scenarios} lists them in the order they run: later ones see
 * the state earlier ones left (messages sent, chats created), so the order
 * is part of what the figures mean.
 */
import { sendMessage } from '../functions/domain/messages';
import { prose } from '../test/support/prose';
import { burstId, CONVERSATION_SENDS, HOT_CHAT_BURSTS, recordOutcome } from './budgets';
import { safetyAreas } from './safety';
import { syncAreas } from './sync';
import { newConnectionId } from './events';
import type { Harness } from './harness';
import type { OperationSpec } from './measure';
import { LIST_USERS, MESSAGE_BYTES, poolId, type Fixtures } from './seed';

type Scenario = (h: Harness, f: Fixtures) => OperationSpec;

/** One area of the report, measured together under a heading. */
export interface ScenarioArea {
  /** Logged before its scenarios run. */
  title: string;
  scenarios: Scenario[];
}

const content = prose(MESSAGE_BYTES, 3);

// ------------------------------------------------------------------ connections

/** The `cc` user's connection between the connect and the disconnect scenario. */
const contact: { connectionId?: string } = {};

const wsConnect: Scenario = (h) => ({
  id: 'ws-connect',
  area: 'Connections',
  label: 'WebSocket `$connect` (first connection; 10 direct contacts, 1 online)',
  route: '$connect',
  delivers: true,
  prepare: async () => {
    if (contact.connectionId) await h.wsDisconnect(contact.connectionId);
    contact.connectionId = newConnectionId();
  },
  invoke: () => h.wsConnect('cc', contact.connectionId!),
});

const wsDisconnect: Scenario = (h) => ({
  id: 'ws-disconnect',
  area: 'Connections',
  label: 'WebSocket `$disconnect` (last connection; 10 direct contacts, 1 online)',
  route: '$disconnect',
  delivers: true,
  prepare: async () => {
    if (!contact.connectionId) {
      contact.connectionId = newConnectionId();
      await h.wsConnect('cc', contact.connectionId);
    }
  },
  invoke: async () => {
    await h.wsDisconnect(contact.connectionId!);
    contact.connectionId = undefined;
  },
});

const wsTyping: Scenario = (h, f) => ({
  id: 'ws-typing-100',
  area: 'Connections',
  label: 'WebSocket `typing` in a chat of 100 (10 online)',
  route: 'typing',
  delivers: true,
  // A different typist each run: a second `typing` by the same user within 2 s is dropped (SPEC §5, next row).
  invoke: async (i) => void (await h.wsAction('typing', f.connections.get(poolId(20 + 10 * i))!, { chatId: f.g100, isTyping: true })),
});

const wsTypingDropped: Scenario = (h, f) => ({
  id: 'ws-typing-dropped',
  area: 'Connections',
  label: 'WebSocket `typing` within 2 s of the same user\'s last one, chat of 100: acked and dropped',
  route: 'typing',
  delivers: true,
  prepare: async () => void (await h.wsAction('typing', f.connections.get(poolId(70))!, { chatId: f.g100, isTyping: true })),
  invoke: async () => void (await h.wsAction('typing', f.connections.get(poolId(70))!, { chatId: f.g100, isTyping: false })),
});

// ------------------------------------------------------------------ chats

const createDirect: Scenario = (h) => ({
  id: 'create-direct',
  area: 'Chats',
  label: '`POST /v1/chats` direct (new pair, other user online)',
  route: 'POST /v1/chats',
  delivers: true,
  invoke: async (i) => void (await h.http('CreateChat', 'cd', { body: { type: 'direct', participantIds: [`cdp${i}`] } }, [201])),
});

const createGroup: Scenario = (h, f) => ({
  id: 'create-group-100',
  area: 'Chats',
  label: '`POST /v1/chats` group of 100 (10 online)',
  route: 'POST /v1/chats',
  delivers: true,
  invoke: async () => void (await h.http('CreateChat', 'cg', { body: { type: 'group', title: 'Bench group', participantIds: f.poolIds.slice(0, 99) } }, [201])),
});

// ------------------------------------------------------------------ sending

/** A 1 KB send over HTTP by `user` (no connection of their own) into the chat `chatOf` picks. */
const httpSend =
  (id: string, label: string, user: string, chatOf: (f: Fixtures) => string): Scenario =>
  (h, f) => ({
    id,
    area: 'Sending',
    label,
    route: 'POST /v1/chats/{chatId}/messages',
    delivers: true,
    invoke: async () => void (await h.http('SendMessage', user, { params: { chatId: chatOf(f) }, body: { content } }, [201])),
  });

let clientMessageIds = 0;
const sendWithClientMessageId: Scenario = (h, f) => ({
  id: 'send-2-cmid',
  area: 'Sending',
  label: 'Send with a `clientMessageId` (as the client SDK sends), chat of 2 (recipient online)',
  route: 'POST /v1/chats/{chatId}/messages',
  delivers: true,
  invoke: async () =>
    void (await h.http('SendMessage', 's-on', { params: { chatId: f.d2on }, body: { content, clientMessageId: `bench-${++clientMessageIds}` } }, [201])),
});

/**
 * A hot chat: `senders` members of the group of 100 sending at the same instant (issue 20). Each send allocates
 * its seq with one atomic update, so the cost is `senders` × the uncontended send. Failed sends are counted, not
 * thrown, and the seqs answered recorded, for the PASS/FAIL rows (`bench/budgets.ts`).
 */
const hotChatBurst =
  (senders: number): Scenario =>
  (h, f) => ({
    id: burstId(senders),
    area: 'Sending',
    label: `${senders} simultaneous sends by ${senders} members into a chat of 100 (figures for all ${senders} together)`,
    route: 'POST /v1/chats/{chatId}/messages',
    delivers: true,
    invoke: async () => {
      const sends = await Promise.allSettled(
        f.poolIds.slice(0, senders).map((user) => h.http('SendMessage', user, { params: { chatId: f.g100 }, body: { content } }, [201])),
      );
      const seqs = sends.flatMap((s) => (s.status === 'fulfilled' && typeof s.value?.message?.seq === 'number' ? [s.value.message.seq as number] : []));
      recordOutcome(burstId(senders), { attempted: senders, failed: sends.filter((s) => s.status === 'rejected').length, seqs });
    },
  });

const conversation: { chatId?: string } = {};
/**
 * A back-and-forth conversation over WebSocket in a chat of 2, both online with one connection each: every send
 * answers the other's (issue 20 "posts per message"). Each message reaches 2 connections (the recipient's and
 * the sender's own); a `messages.read` for the sender's own send would add a post to each.
 */
const backAndForth: Scenario = (h, f) => {
  const [a, b] = [poolId(30), poolId(40)];
  return {
    id: 'conversation-2-ws',
    area: 'Sending',
    label: `Back-and-forth conversation over WebSocket, chat of 2, both online (${CONVERSATION_SENDS} alternating sends, figures for all together)`,
    route: 'sendMessage',
    delivers: true,
    prepare: async () => {
      conversation.chatId ??= (await h.http('CreateChat', a, { body: { type: 'direct', participantIds: [b] } }, [200, 201]))?.chat.id;
    },
    invoke: async () => {
      for (let i = 0; i < CONVERSATION_SENDS; i++) {
        await h.wsAction('sendMessage', f.connections.get(i % 2 ? b : a)!, { chatId: conversation.chatId!, content: `reply ${i}` });
      }
    },
  };
};

const sendOverWebSocket: Scenario = (h, f) => ({
  id: 'send-100-ws',
  area: 'Sending',
  label: 'Send over WebSocket `sendMessage`, chat of 100 (10 online, sender among them)',
  route: 'sendMessage',
  delivers: true,
  invoke: async () => void (await h.wsAction('sendMessage', f.connections.get(poolId(10))!, { chatId: f.g100, content })),
});

// ------------------------------------------------------------------ reading

/** `GET /v1/chats` by the user with `count` chats, default page or `limit`. */
const listChats =
  (user: string, count: number, limit: 20 | 100): Scenario =>
  (h) => ({
    id: `list-chats-${count}-limit-${limit}`,
    area: 'Reading',
    label: `\`GET /v1/chats${limit === 20 ? '' : '?limit=100'}\`, user with ${count.toLocaleString('en-US')} chats`,
    route: 'GET /v1/chats',
    delivers: false,
    invoke: async () => {
      const page = await h.http('ListChats', user, limit === 20 ? {} : { query: { limit: String(limit) } }, [200]);
      if (page?.chats.length !== Math.min(limit, count)) throw new Error(`list chats returned ${page?.chats.length}`);
    },
  });

/** `GET /v1/chats/{id}/messages` with `query`; throws unless it answers `expected` messages. */
const readMessages =
  (id: string, label: string, user: string, chatOf: (f: Fixtures) => string, query: Record<string, string>, expected: number): Scenario =>
  (h, f) => ({
    id,
    area: 'Reading',
    label,
    route: 'GET /v1/chats/{chatId}/messages',
    delivers: false,
    invoke: async () => {
      const page = await h.http('ListMessages', user, { params: { chatId: chatOf(f) }, query }, [200]);
      if (page?.messages.length !== expected) throw new Error(`${id} returned ${page?.messages.length} messages`);
    },
  });

const markRead: Scenario = (h, f) => ({
  id: 'mark-read-100',
  area: 'Reading',
  label: '`POST /v1/chats/{id}/read`, chat of 100 (10 online)',
  route: 'POST /v1/chats/{chatId}/read',
  delivers: true,
  // Someone else sends first, so the marker has somewhere to move.
  prepare: async () => void (await sendMessage(h.ctx, h.principal('g100-s'), f.g100, { content })),
  invoke: async () => void (await h.http('MarkRead', poolId(1), { params: { chatId: f.g100 } }, [200])),
});

// ------------------------------------------------------------------ moderation (SPEC §9)

/** Pool users 11-20 (members of the chat of 100) block its sender `g100-s` before the moderation scenarios. */
const BLOCKERS = Array.from({ length: 10 }, (_, i) => poolId(11 + i));
const blockSender = async (h: Harness) => {
  for (const blocker of BLOCKERS) await h.ctx.repo.moderation.block(blocker, 'g100-s', new Date().toISOString());
};

const sendBlocked: Scenario = (h, f) => ({
  id: 'send-100-blocked',
  area: 'Moderation',
  label: 'Send, chat of 100 (10 online), sender blocked by 10 members: they get placeholders, never notifications',
  route: 'POST /v1/chats/{chatId}/messages',
  delivers: true,
  prepare: () => blockSender(h),
  invoke: async () => void (await h.http('SendMessage', 'g100-s', { params: { chatId: f.g100 }, body: { content } }, [201])),
});

const readBlocking: Scenario = (h, f) => ({
  id: 'read-page-100-blocking',
  area: 'Moderation',
  label: 'Messages page (limit 50), chat of 100, by a member who blocks the sender of most of them (placeholders)',
  route: 'GET /v1/chats/{chatId}/messages',
  delivers: false,
  prepare: () => blockSender(h),
  invoke: async () => {
    const page = await h.http('ListMessages', BLOCKERS[0]!, { params: { chatId: f.g100 }, query: { limit: '50' } }, [200]);
    if (!page?.messages.some((m: { hidden?: boolean }) => m.hidden)) throw new Error('read-page-100-blocking: no placeholder in the page');
  },
});

// ------------------------------------------------------------------ notifications (issue 17)

/**
 * SPEC §8 coalescing in steady conversation: before each measured burst the
 * offline members of the group of 100 catch up (read to the end, unmeasured),
 * then `g100-s` sends 10 messages one after another. The first notifies every
 * offline recipient once; the other nine notify nobody.
 */
const notifyBurst: Scenario = (h, f) => ({
  id: 'notify-100-burst-10',
  area: 'Notifications',
  label: 'Burst of 10 sends, group of 100 (89 recipients offline, caught up before the burst): figures for all 10 together',
  route: 'POST /v1/chats/{chatId}/messages',
  delivers: true,
  prepare: async () => {
    const seq = await h.ctx.repo.messages.latestSeq(f.g100);
    await Promise.all(f.poolIds.slice(0, 99).map((u) => h.ctx.repo.memberships.advanceReadMarker(f.g100, u, seq, new Date().toISOString())));
  },
  invoke: async () => {
    for (let i = 0; i < 10; i++) await h.http('SendMessage', 'g100-s', { params: { chatId: f.g100 }, body: { content } }, [201]);
  },
});

/** The same chat with every offline recipient already notified and not caught up: what coalescing costs a send that notifies nobody. */
const notifyCoalesced: Scenario = (h, f) => ({
  id: 'notify-100-coalesced',
  area: 'Notifications',
  label: 'Send, group of 100, every offline recipient already notified (coalesced: no event)',
  route: 'POST /v1/chats/{chatId}/messages',
  delivers: true,
  invoke: async () => void (await h.http('SendMessage', 'g100-s', { params: { chatId: f.g100 }, body: { content } }, [201])),
});

/** A direct chat whose recipient never reads: one notification, then silence. */
const notifyDirect: Scenario = (h, f) => ({
  id: 'notify-2-burst-10',
  area: 'Notifications',
  label: 'Burst of 10 sends, chat of 2 (recipient offline, caught up before the burst): figures for all 10 together',
  route: 'POST /v1/chats/{chatId}/messages',
  delivers: true,
  prepare: async () => {
    const seq = await h.ctx.repo.messages.latestSeq(f.d2off);
    await h.ctx.repo.memberships.advanceReadMarker(f.d2off, 'r-off', seq, new Date().toISOString());
  },
  invoke: async () => {
    for (let i = 0; i < 10; i++) await h.http('SendMessage', 's-off', { params: { chatId: f.d2off }, body: { content } }, [201]);
  },
});

// ------------------------------------------------------------------ the run

export const scenarios: ScenarioArea[] = [
  { title: 'Connections', scenarios: [wsConnect, wsDisconnect, wsTyping, wsTypingDropped] },
  { title: 'Chats', scenarios: [createDirect, createGroup] },
  {
    title: 'Sending (1 KB message, sender over HTTP without a connection)',
    scenarios: [
      httpSend('send-2', 'Send, chat of 2 (recipient online)', 's-on', (f) => f.d2on),
      httpSend('send-2-offline', 'Send, chat of 2 (recipient offline)', 's-off', (f) => f.d2off),
      sendWithClientMessageId,
      httpSend('send-100', 'Send, chat of 100 (10 online)', 'g100-s', (f) => f.g100),
      httpSend('send-1000', 'Send, chat of 1,000 (100 online)', 'g1000-s', (f) => f.g1000),
      ...HOT_CHAT_BURSTS.map(hotChatBurst),
      sendOverWebSocket,
      backAndForth,
    ],
  },
  {
    title: 'Reading',
    scenarios: [
      ...LIST_USERS.flatMap(([user, count]) => [listChats(user, count, 20), listChats(user, count, 100)]),
      readMessages('read-page-2', 'Messages page (limit 50), chat of 2', 's-on', (f) => f.d2on, { limit: '50' }, 50),
      readMessages('read-page-100', 'Messages page (limit 50), chat of 100', 'g100-s', (f) => f.g100, { limit: '50' }, 50),
      readMessages('search-rare', 'Search `q` (default limit 50), 1,000 messages, 10 matches: reads the whole 1,000-message budget', 'srch-a', (f) => f.search, { q: 'needle' }, 10),
      readMessages('search-frequent', 'Search `q` (default limit 50), 1,000 messages, every message matches', 'srch-a', (f) => f.search, { q: 'the' }, 50),
      markRead,
    ],
  },
  ...safetyAreas,
  { title: 'Notifications (SPEC §8 coalescing)', scenarios: [notifyBurst, notifyCoalesced, notifyDirect] },
  ...syncAreas,
  // Last: the blocks it records change what the chat of 100's members see (and who of them is notified).
  { title: 'Moderation (SPEC §9: blocks)', scenarios: [sendBlocked, readBlocking] },
];
