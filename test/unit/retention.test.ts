/**
 * Retention (SPEC §10 `MESSAGE_RETENTION_DAYS`): messages carry their
 * expiry (the DynamoDB TTL), and a chat whose newest message expired shows
 * no preview and nothing unread.
 */
import { describe, expect, it } from 'vitest';
import { toItem } from '../../functions/data/messages';
import { createChat, getChat, listChats } from '../../functions/domain/chats';
import { sendMessage } from '../../functions/domain/messages';
import { memoryContext, user } from '../support/memory';

describe('message retention', () => {
  it('stamps each message with its expiry, which the DynamoDB item carries as its TTL', async () => {
    const start = new Date(Math.floor(Date.now() / 1000) * 1000);
    const m = memoryContext({ limits: { messageRetentionDays: 30 }, start });
    const ada = await user(m.repo, 'ada');
    await user(m.repo, 'bob');
    const { chat } = await createChat(m.ctx, ada, { type: 'direct', participantIds: ['bob'] });
    const { message } = await sendMessage(m.ctx, ada, chat.id, { content: 'hello' });
    const stored = m.repo.messageMap.get(`${chat.id}|${message.seq}`)!;
    expect(stored.expiresAt).toBe(start.getTime() / 1000 + 30 * 86_400);
    expect(toItem(stored).ttl).toBe(stored.expiresAt);
    // Never part of an answer.
    expect(message).not.toHaveProperty('expiresAt');
    expect((await getChat(m.ctx, ada, chat.id)).lastMessage).not.toHaveProperty('expiresAt');
  });

  it('keeps messages forever without the setting', async () => {
    const m = memoryContext();
    const ada = await user(m.repo, 'ada');
    await user(m.repo, 'bob');
    const { chat } = await createChat(m.ctx, ada, { type: 'direct', participantIds: ['bob'] });
    await sendMessage(m.ctx, ada, chat.id, { content: 'hello' });
    expect([...m.repo.messageMap.values()][0].expiresAt).toBeUndefined();
    expect(toItem([...m.repo.messageMap.values()][0])).not.toHaveProperty('ttl');
  });

  it('a chat whose newest message expired answers no lastMessage and no unread messages', async () => {
    const m = memoryContext({ limits: { messageRetentionDays: 1 }, start: new Date(Date.now() - 3 * 86_400_000) });
    const ada = await user(m.repo, 'ada');
    const bob = await user(m.repo, 'bob');
    const { chat } = await createChat(m.ctx, ada, { type: 'direct', participantIds: ['bob'] });
    await sendMessage(m.ctx, ada, chat.id, { content: 'old news' });
    // The views compare with the real clock: three days later, the one-day retention has passed.
    const seen = await getChat(m.ctx, bob, chat.id);
    expect(seen.lastMessage).toBeUndefined();
    expect(seen.unreadCount).toBe(0);
    expect((await listChats(m.ctx, bob, { limit: 10 })).chats[0]).toMatchObject({ id: chat.id, unreadCount: 0 });
  });
});
