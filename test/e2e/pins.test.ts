/** SPEC §4 pins end to end: roles, `message.pinned` to participants, the list, `pinnedAt/pinnedBy` on messages. */
import { describe, expect, it } from 'vitest';
import { client, uniqueId } from '../support/api';
import { record } from '../support/sdk-events';

describe('pins', () => {
  it('owner pins, members cannot, everyone gets message.pinned, the list shows the newest pin first', async () => {
    const [owner, member, outsider] = await Promise.all(['owner', 'member', 'outsider'].map((n) => client(uniqueId(n))));
    const { chat } = await owner.api.createChat({ type: 'group', participantIds: [member.id] });
    const first = (await member.api.sendMessage(chat.id, { content: 'first' })).message;
    const second = (await member.api.sendMessage(chat.id, { content: 'second' })).message;
    const socket = await member.socket();
    const events = record(socket);
    try {
      await expect(member.api.pinMessage(chat.id, first.id)).rejects.toMatchObject({ status: 403, code: 'forbidden' });
      expect((await outsider.put(`/v1/chats/${chat.id}/messages/${first.id}/pin`)).status).toBe(404);
      const pinned = await owner.api.pinMessage(chat.id, first.id);
      expect(pinned.message).toMatchObject({ id: first.id, pinnedBy: owner.id, pinnedAt: expect.any(String) });
      expect(await events.next('message.pinned', (e) => e.messageId === first.id)).toMatchObject({ chatId: chat.id, seq: first.seq, pinned: true, pinnedBy: owner.id });
      await owner.api.pinMessage(chat.id, second.id);
      expect((await member.api.listPins(chat.id)).messages.map((m) => m.id)).toEqual([second.id, first.id]);
      expect((await member.api.listMessages(chat.id)).messages.find((m) => m.id === first.id)?.pinnedBy).toBe(owner.id);
      await owner.api.unpinMessage(chat.id, first.id);
      expect(await events.next('message.pinned', (e) => e.messageId === first.id && !e.pinned)).toMatchObject({ pinned: false });
      expect((await member.api.listPins(chat.id)).messages.map((m) => m.id)).toEqual([second.id]);
      expect((await outsider.get(`/v1/chats/${chat.id}/pins`)).status).toBe(404);
    } finally {
      socket.close();
    }
  });
});
