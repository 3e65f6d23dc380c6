/**
 * The SDK's ordering guarantees through the local gateway with real
 * WebSocket clients (the gateway, like API Gateway, runs one connection's
 * frames as concurrent invocations, so nothing here is ordered by the
 * transport):
 *
 * - a burst of sends without waiting, from one client, is stored in the
 *   order the app sent it (per chat), and chats are pipelined;
 * - the order holds when the connection drops mid-burst (the rest goes
 *   over HTTP, then the socket again);
 * - a burst from many concurrent senders is presented to a listener in seq
 *   order, every message once, with no gap.
 */
import { describe, expect, it } from 'vitest';
import { client, uniqueId } from '../support/api';
import { connectionIdsOf, deleteConnection } from '../support/connections';
import { record } from '../support/sdk-events';

describe('SDK ordering end to end', () => {
  it('stores a burst of sends (without waiting) in the order the app sent them, per chat', async () => {
    const alice = await client(uniqueId('ord-alice'));
    const bob = await client(uniqueId('ord-bob'));
    const carol = await client(uniqueId('ord-carol'));
    const socket = await alice.socket();
    try {
      const { chat: one } = await alice.api.createChat({ type: 'direct', participantIds: [bob.id] });
      const { chat: two } = await alice.api.createChat({ type: 'direct', participantIds: [carol.id] });
      const texts = Array.from({ length: 8 }, (_, i) => `m${i + 1}`);
      const sends = [...texts.map((content) => socket.sendMessage({ chatId: one.id, content })), ...texts.map((content) => socket.sendMessage({ chatId: two.id, content }))];
      const stored = await Promise.all(sends);
      for (const chat of [one, two]) {
        const { messages } = await alice.api.listMessages(chat.id, { after: 0, limit: 50 });
        expect(messages.map((m) => m.content)).toEqual(texts);
        expect(messages.map((m) => m.seq)).toEqual(texts.map((_, i) => i + 1));
      }
      expect(stored.slice(0, 8).map((m) => m.seq)).toEqual(texts.map((_, i) => i + 1));
    } finally {
      socket.close();
    }
  });

  it('keeps the order when the connection drops in the middle of a burst (HTTP while reconnecting)', async () => {
    const alice = await client(uniqueId('ord-alice'));
    const bob = await client(uniqueId('ord-bob'));
    const socket = await alice.socket({ random: () => 1, backoff: { initialMs: 400 } });
    const events = record(socket);
    try {
      const { chat } = await alice.api.createChat({ type: 'direct', participantIds: [bob.id] });
      const texts = Array.from({ length: 10 }, (_, i) => `burst ${i + 1}`);
      const sends: Promise<unknown>[] = [];
      for (const [i, content] of texts.entries()) {
        sends.push(socket.sendMessage({ chatId: chat.id, content }));
        if (i === 3) for (const id of await connectionIdsOf(alice.id)) await deleteConnection(id);
      }
      await Promise.all(sends);
      await events.next('status', (s) => s.state === 'open' && events.of('status').some((x) => x.state === 'reconnecting'), 10_000);
      const { messages } = await alice.api.listMessages(chat.id, { after: 0, limit: 50 });
      expect(messages.map((m) => m.content)).toEqual(texts);
    } finally {
      socket.close();
    }
  });

  it('presents a burst from concurrent senders in seq order, each message once, without gaps', async () => {
    const owner = await client(uniqueId('ord-owner'));
    const senders = await Promise.all(Array.from({ length: 5 }, (_, i) => client(uniqueId(`ord-s${i}`))));
    const { chat } = await owner.api.createChat({ type: 'group', title: 'burst', participantIds: senders.map((s) => s.id) });
    const listener = await owner.socket();
    const events = record(listener);
    listener.track(chat.id, 0);
    try {
      const perSender = 4;
      await Promise.all(senders.flatMap((s) => Array.from({ length: perSender }, (_, i) => s.api.sendMessage(chat.id, { content: `${s.id} #${i}` }))));
      const total = senders.length * perSender;
      await events.next('message.new', (e) => e.chatId === chat.id && e.message.seq === total, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 300)); // any late duplicate would show up by now
      const seqs = events.of('message.new').filter((e) => e.chatId === chat.id).map((e) => e.message.seq);
      expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(listener.heldSeqs(chat.id)).toEqual([]);
    } finally {
      listener.close();
    }
  });
});
