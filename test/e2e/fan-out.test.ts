/**
 * Asynchronous fan-out (issue 6): chats above FANOUT_INLINE_MAX (3 in the
 * test stack) are delivered by the FanOut worker from the FIFO queue; the
 * events are the same and arrive in order, exactly once per connection.
 */
import { describe, expect, inject, it } from 'vitest';
import { call, client, uniqueId } from '../support/api';

const stack = inject('stack');

describe('asynchronous fan-out', () => {
  it('delivers every message of a large group to every connection exactly once, in order for a sequence of sends', async () => {
    const members = await Promise.all(Array.from({ length: 8 }, (_, i) => client(uniqueId(`m${i}`))));
    const [owner, ...rest] = members;
    const offline = await client(uniqueId('offline'));
    const group = await owner.post('/v1/chats', { type: 'group', participantIds: [...rest.map((m) => m.id), offline.id], title: 'Co-op' });
    const chatId = group.body.chat.id as string;
    const sockets = await Promise.all(members.map((m) => m.ws()));
    const before = (await call(stack, 'GET', '/dev/sqs/stats')).body;

    // One after another (each send answered before the next): the queue keeps their order for everyone.
    const sequential = [];
    for (let i = 0; i < 6; i++) sequential.push(await members[i % members.length].post(`/v1/chats/${chatId}/messages`, { content: `in order ${i}` }));
    // At the same time: every one arrives exactly once (order among concurrent sends is by completion; clients sort by seq).
    const concurrent = await Promise.all(Array.from({ length: 6 }, (_, i) => members[i].post(`/v1/chats/${chatId}/messages`, { content: `together ${i}` })));
    const sends = [...sequential, ...concurrent];
    expect(sends.every((s) => s.status === 201)).toBe(true);
    const ids = new Set(sends.map((s) => s.body.message.id));

    for (const ws of sockets) {
      const seen: number[] = [];
      for (let i = 0; i < 12; i++) {
        const event = await ws.next((f: any) => f?.type === 'message.new' && f.chatId === chatId, 10_000);
        expect(ids.has(event.message.id)).toBe(true);
        seen.push(event.message.seq);
      }
      expect(seen.slice(0, 6)).toEqual([1, 2, 3, 4, 5, 6]);
      expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(await ws.quiet((f: any) => f?.type === 'message.new' && f.chatId === chatId, 300)).toBe(true);
    }

    // Every send went through the queue and its worker, none fell back to inline delivery.
    const after = (await call(stack, 'GET', '/dev/sqs/stats')).body;
    expect(after.sent - before.sent).toBeGreaterThanOrEqual(12);
    expect(after.processed - before.processed).toBeGreaterThanOrEqual(12);
    expect(after.deadLettered).toBe(before.deadLettered);

    // Offline notifications come from the worker too, coalesced (SPEC §8): one for the whole burst.
    const { notifications } = (await call(stack, 'GET', '/dev/notifications')).body;
    const forOffline = notifications.filter((n: any) => n.recipientId === offline.id && n.chatId === chatId);
    expect(forOffline).toHaveLength(1);
    expect(forOffline[0]).toMatchObject({ seq: 1, mentioned: false, unreadCount: 1 });
    await Promise.all(sockets.map((ws) => ws.close()));
  });
});
