/**
 * Hot chats through the local gateway (issue 20): 5 members each firing 19
 * `sendMessage` frames at once over their WebSockets into one chat. Before
 * the atomic seq allocation, 2 of these 95 were refused with `internal`;
 * now every one is acked, with unique consecutive seqs, and the chat's
 * `lastMessage` is the highest seq. 19 stays under the per-user limit of 20
 * messages a minute (SPEC §5).
 */
import { describe, expect, it } from 'vitest';
import { client, uniqueId } from '../support/api';

const MEMBERS = 5;
const SENDS_EACH = 19;

describe('hot chat over WebSocket', () => {
  it('acks all 95 simultaneous sends of 5 members into one chat with seqs 1..95, stored in order, the latest as lastMessage', async () => {
    const members = await Promise.all(Array.from({ length: MEMBERS }, (_, i) => client(uniqueId(`hot${i}`))));
    const [owner, ...rest] = members;
    const group = await owner.post('/v1/chats', { type: 'group', title: 'Hot', participantIds: rest.map((m) => m.id) });
    expect(group.status).toBe(201);
    const chatId = group.body.chat.id as string;
    const sockets = await Promise.all(members.map((m) => m.ws()));
    try {
      const answers = await Promise.all(
        sockets.flatMap((ws, m) => Array.from({ length: SENDS_EACH }, (_, i) => ws.request('sendMessage', { chatId, content: `m${m}-${i}`, clientMessageId: `hot-${m}-${i}` }, 60_000))),
      );
      const refused = answers.filter((a) => a.type !== 'ack');
      expect(refused).toEqual([]);
      const seqs = answers.map((a) => a.message.seq as number).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: MEMBERS * SENDS_EACH }, (_, i) => i + 1));

      // Stored as acked: one page of history, ascending, no gap, each message its sender's.
      const page = await owner.get(`/v1/chats/${chatId}/messages?limit=100`);
      expect(page.body.messages.map((m: any) => m.seq)).toEqual(seqs);
      const byId = new Map(answers.map((a) => [a.message.id, a.message]));
      for (const m of page.body.messages) expect(byId.get(m.id)).toMatchObject({ seq: m.seq, senderId: m.senderId, content: m.content });
      // The chat shows the highest seq, never an earlier one that finished later.
      const chat = await rest[0].get(`/v1/chats/${chatId}`);
      const latest = page.body.messages.at(-1);
      expect(chat.body.chat).toMatchObject({ lastSeq: 95, lastMessage: { id: latest.id, seq: 95, content: latest.content } });
      // Unread for a member: the messages above their marker sent by others.
      const marker = chat.body.chat.lastReadSeq as number;
      expect(chat.body.chat.unreadCount).toBe(page.body.messages.filter((m: any) => m.seq > marker && m.senderId !== rest[0].id).length);
    } finally {
      await Promise.all(sockets.map((ws) => ws.close()));
    }
  });
});
