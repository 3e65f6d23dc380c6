/** The contract of `MessageStore` and `AttachmentStore`. */
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import type { ClientIdKey } from '../../../functions/domain/ports';
import type { StoredAttachment } from '../../../functions/domain/types';
import { at, attachmentRecord, chatWith, messageRecord, T0, uid, repositoryFor, type MakeRepository } from './fixtures';

const stored = (a: { id: string; chatId: string; filename: string; contentType: string; size: number }): StoredAttachment => ({
  id: a.id,
  filename: a.filename,
  contentType: a.contentType,
  size: a.size,
  kind: 'file',
  key: `chats/${a.chatId}/${a.id}`,
});

export function messageContract(makeRepo: MakeRepository) {
  describe('MessageStore', () => {
    const repo = repositoryFor(makeRepo);
    let chatId: string;
    const freshChat = async () => (chatId = (await chatWith(repo, ['sender', 'reader'])).id);
    const cmid = (clientMessageId = uid('cm')): ClientIdKey => ({ chatId, senderId: 'sender', clientMessageId });

    it('takes a seq once: of several messages racing for it, one is stored', async () => {
      await freshChat();
      const racing = Array.from({ length: 5 }, (_, i) => messageRecord(chatId, 1, { content: `racer ${i}` }));
      const outcomes = await Promise.all(racing.map((m) => repo.messages.putAtomically(m)));
      expect(outcomes.filter((o) => o === 'stored')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'seq-taken')).toHaveLength(4);
      const winner = racing[outcomes.indexOf('stored')];
      expect(await repo.messages.get(chatId, 1)).toEqual(winner);
      expect(await repo.messages.get(chatId, 1, true)).toEqual(winner);
      expect(await repo.messages.get(chatId, 2)).toBeUndefined();
      expect(await repo.messages.putAtomically(messageRecord(chatId, 1))).toBe('seq-taken');
    });

    it('answers the latest seq and pages history in ascending order before, after and at the end', async () => {
      await freshChat();
      expect(await repo.messages.latestSeq(chatId)).toBe(0);
      expect(await repo.messages.page(chatId, { limit: 5 })).toEqual({ messages: [], hasMore: false });
      for (let seq = 1; seq <= 12; seq++) expect(await repo.messages.putAtomically(messageRecord(chatId, seq))).toBe('stored');
      expect(await repo.messages.latestSeq(chatId)).toBe(12);
      const seqs = async (range: { before?: number; after?: number; limit: number }) => {
        const out = await repo.messages.page(chatId, range);
        return [out.messages.map((m) => m.seq), out.hasMore];
      };
      expect(await seqs({ limit: 5 })).toEqual([[8, 9, 10, 11, 12], true]);
      expect(await seqs({ limit: 12 })).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], false]);
      expect(await seqs({ limit: 5, before: 8 })).toEqual([[3, 4, 5, 6, 7], true]);
      expect(await seqs({ limit: 5, before: 3 })).toEqual([[1, 2], false]);
      expect(await seqs({ limit: 5, after: 0 })).toEqual([[1, 2, 3, 4, 5], true]);
      expect(await seqs({ limit: 5, after: 9 })).toEqual([[10, 11, 12], false]);
      expect(await seqs({ limit: 5, after: 12 })).toEqual([[], false]);
    });

    it('claims a clientMessageId once, answering the existing claim to every later claimant', async () => {
      await freshChat();
      const key = cmid();
      const now = new Date(T0);
      const claims = await Promise.all(['01AAAAAAAAAAAAAAAAAAAAAAAA', '01BBBBBBBBBBBBBBBBBBBBBBBB', '01CCCCCCCCCCCCCCCCCCCCCCCC'].map((u) => repo.messages.claimClientId(key, u, now, 60)));
      expect(claims.filter((c) => c === undefined)).toHaveLength(1);
      const winner = ['01AAAAAAAAAAAAAAAAAAAAAAAA', '01BBBBBBBBBBBBBBBBBBBBBBBB', '01CCCCCCCCCCCCCCCCCCCCCCCC'][claims.indexOf(undefined)];
      const leaseUntil = Math.floor(now.getTime() / 1000) + 60;
      for (const c of claims) if (c) expect(c).toEqual({ messageUlid: winner, leaseUntil });
      // Another sender's or another id's claim is separate.
      expect(await repo.messages.claimClientId({ ...key, senderId: 'reader' }, '01DDDDDDDDDDDDDDDDDDDDDDDD', now, 60)).toBeUndefined();
      expect(await repo.messages.claimClientId(cmid(), '01DDDDDDDDDDDDDDDDDDDDDDDD', now, 60)).toBeUndefined();
    });

    it('releases only its own claim, after which the id can be claimed again', async () => {
      await freshChat();
      const key = cmid();
      const now = new Date(T0);
      expect(await repo.messages.claimClientId(key, '01AAAAAAAAAAAAAAAAAAAAAAAA', now, 60)).toBeUndefined();
      await repo.messages.releaseClientId(key, '01BBBBBBBBBBBBBBBBBBBBBBBB');
      expect(await repo.messages.claimClientId(key, '01CCCCCCCCCCCCCCCCCCCCCCCC', now, 60)).toMatchObject({ messageUlid: '01AAAAAAAAAAAAAAAAAAAAAAAA' });
      await repo.messages.releaseClientId(key, '01AAAAAAAAAAAAAAAAAAAAAAAA');
      await repo.messages.releaseClientId(cmid(), '01AAAAAAAAAAAAAAAAAAAAAAAA');
      expect(await repo.messages.claimClientId(key, '01CCCCCCCCCCCCCCCCCCCCCCCC', now, 60)).toBeUndefined();
    });

    it('takes over a claim once its lease has run out, one repeat winning a race', async () => {
      await freshChat();
      const key = cmid();
      const claimedAt = new Date(T0);
      expect(await repo.messages.claimClientId(key, '01AAAAAAAAAAAAAAAAAAAAAAAA', claimedAt, 60)).toBeUndefined();
      const previous = (await repo.messages.claimClientId(key, '01XXXXXXXXXXXXXXXXXXXXXXXX', claimedAt, 60))!;
      // While the lease holds, nobody takes it over.
      expect(await repo.messages.takeOverClientId(key, previous, '01BBBBBBBBBBBBBBBBBBBBBBBB', new Date(Date.parse(T0) + 30_000), 60)).toBe(false);
      const later = new Date(Date.parse(T0) + 61_000);
      const racing = ['01BBBBBBBBBBBBBBBBBBBBBBBB', '01CCCCCCCCCCCCCCCCCCCCCCCC', '01DDDDDDDDDDDDDDDDDDDDDDDD'];
      const won = await Promise.all(racing.map((u) => repo.messages.takeOverClientId(key, previous, u, later, 60)));
      expect(won.filter(Boolean)).toHaveLength(1);
      const current = await repo.messages.claimClientId(key, '01EEEEEEEEEEEEEEEEEEEEEEEE', later, 60);
      expect(current).toEqual({ messageUlid: racing[won.indexOf(true)], leaseUntil: Math.floor(later.getTime() / 1000) + 60 });
      // A stale pointer (the claim changed hands since) no longer takes anything over.
      expect(await repo.messages.takeOverClientId(key, previous, '01FFFFFFFFFFFFFFFFFFFFFFFF', new Date(Date.parse(T0) + 600_000), 60)).toBe(false);
      // A released claim: taken over only while nobody else claimed it.
      const released = cmid();
      expect(await repo.messages.takeOverClientId(released, { messageUlid: '', leaseUntil: 0 }, '01GGGGGGGGGGGGGGGGGGGGGGGG', later, 60)).toBe(true);
      expect(await repo.messages.takeOverClientId(released, { messageUlid: '', leaseUntil: 0 }, '01HHHHHHHHHHHHHHHHHHHHHHHH', later, 60)).toBe(false);
    });

    it('finds a claimed message by the id prefix the claim recorded, or by seq', async () => {
      await freshChat();
      const key = cmid();
      const id = ulid();
      expect(await repo.messages.claimClientId(key, id, new Date(T0), 60)).toBeUndefined();
      expect(await repo.messages.findByClientId(chatId, 'sender', key.clientMessageId)).toBeUndefined();
      await repo.messages.putAtomically(messageRecord(chatId, 1));
      const message = messageRecord(chatId, 2, { ulid: id, clientMessageId: key.clientMessageId });
      await repo.messages.putAtomically(message);
      await repo.messages.putAtomically(messageRecord(chatId, 3));
      expect(await repo.messages.findByClientId(chatId, 'sender', key.clientMessageId)).toEqual(message);
      expect(await repo.messages.findByClientId(chatId, 'reader', key.clientMessageId)).toBeUndefined();
      expect(await repo.messages.findClaimedMessage(chatId, { messageUlid: id, leaseUntil: 0 })).toEqual(message);
      expect(await repo.messages.findClaimedMessage(chatId, { seq: 2 })).toEqual(message);
      expect(await repo.messages.findClaimedMessage(chatId, { messageUlid: ulid() })).toBeUndefined();
      expect(await repo.messages.findClaimedMessage(chatId, { seq: 9 })).toBeUndefined();
      expect(await repo.messages.findClaimedMessage(chatId, {})).toBeUndefined();
    });

    it('stores a message with attachments atomically: each slot consumed once, by its owner; its claimed clientMessageId finds it', async () => {
      await freshChat();
      const slot = attachmentRecord(chatId, 'sender');
      const foreign = attachmentRecord(chatId, 'reader');
      await Promise.all([repo.attachments.create(slot), repo.attachments.create(foreign)]);
      const key = cmid();
      const message = messageRecord(chatId, 1, { attachments: [stored(slot)], clientMessageId: key.clientMessageId, content: '' });
      expect(await repo.messages.claimClientId(key, message.id.split('-')[0], new Date(T0), 60)).toBeUndefined();
      expect(await repo.messages.putAtomically(message)).toBe('stored');
      expect(await repo.attachments.getMany(chatId, [slot.id])).toEqual([{ ...slot, status: 'attached', messageId: message.id, expiresAt: undefined }]);
      expect(await repo.messages.findByClientId(chatId, 'sender', key.clientMessageId)).toEqual(message);

      const fresh = attachmentRecord(chatId, 'sender');
      await repo.attachments.create(fresh);
      expect(await repo.messages.putAtomically(messageRecord(chatId, 1, { attachments: [stored(fresh)] }))).toBe('seq-taken');
      expect(await repo.messages.putAtomically(messageRecord(chatId, 2, { attachments: [stored(slot)] }))).toBe('attachment-used');
      expect(await repo.messages.putAtomically(messageRecord(chatId, 2, { attachments: [stored(foreign)] }))).toBe('attachment-used');
      expect(await repo.messages.putAtomically(messageRecord(chatId, 2, { attachments: [stored(fresh), stored(attachmentRecord(chatId, 'sender'))] }))).toBe('attachment-used');
      expect((await repo.attachments.getMany(chatId, [fresh.id]))[0]?.status).toBe('pending');
      expect(await repo.messages.get(chatId, 2)).toBeUndefined();
    });

    it('edits the author\'s message within the window, never a deleted one', async () => {
      await freshChat();
      const message = messageRecord(chatId, 1, { createdAt: at(100) });
      await repo.messages.putAtomically(message);
      const target = { chatId, seq: 1, id: message.id, senderId: 'sender' };
      const edited = await repo.messages.edit(target, { content: 'edited', editedAt: at(200), editableSince: at(100) });
      expect(edited).toEqual({ ...message, content: 'edited', editedAt: at(200) });
      expect(await repo.messages.get(chatId, 1)).toEqual(edited);
      expect(await repo.messages.edit(target, { content: 'late', editedAt: at(300), editableSince: at(101) })).toBeUndefined();
      expect(await repo.messages.edit({ ...target, senderId: 'reader' }, { content: 'not mine', editedAt: at(200), editableSince: at(0) })).toBeUndefined();
      expect(await repo.messages.edit({ ...target, id: messageRecord(chatId, 1).id }, { content: 'forged', editedAt: at(200), editableSince: at(0) })).toBeUndefined();
      expect(await repo.messages.edit({ ...target, seq: 2 }, { content: 'missing', editedAt: at(200), editableSince: at(0) })).toBeUndefined();
      await repo.messages.softDelete(target, at(250));
      expect(await repo.messages.edit(target, { content: 'resurrected', editedAt: at(300), editableSince: at(0) })).toBeUndefined();
      expect(await repo.messages.get(chatId, 1)).toMatchObject({ content: '', deletedAt: at(250) });
    });

    it('soft-deletes once, dropping content, attachments, metadata and reactions, and answers the stored message after', async () => {
      await freshChat();
      const slot = attachmentRecord(chatId, 'sender');
      await repo.attachments.create(slot);
      const message = messageRecord(chatId, 1, { attachments: [stored(slot)], metadata: { k: 'v' }, reactions: { like: ['reader'] } });
      await repo.messages.putAtomically(message);
      const target = { chatId, seq: 1, id: message.id };
      const { attachments: _a, metadata: _m, ...kept } = message;
      // Reactions go too (SPEC §4), even those the caller did not name (added after its read).
      const deleted = { ...kept, content: '', deletedAt: at(50), reactions: {} };
      expect(await repo.messages.softDelete(target, at(50))).toEqual({ deleted: true, message: deleted });
      expect(await repo.messages.get(chatId, 1)).toEqual(deleted);
      expect(await repo.messages.softDelete(target, at(60))).toEqual({ deleted: false, message: deleted });
      expect(await repo.messages.softDelete({ ...target, id: messageRecord(chatId, 1).id }, at(60))).toEqual({ deleted: false });
      expect(await repo.messages.softDelete({ ...target, seq: 5 }, at(60))).toEqual({ deleted: false });
    });

    it('keeps one reaction per user per reaction under concurrency, counts distinct reactions exactly, none on deleted messages', async () => {
      await freshChat();
      const message = messageRecord(chatId, 1);
      await repo.messages.putAtomically(message);
      const target = { chatId, seq: 1, id: message.id };
      const change = (reaction: string, userId: string, add: boolean, users: number, kinds: number, maxKinds = 2) => ({ reaction, userId, add, current: { users, kinds }, maxKinds });
      // Three new reactions race for two places: two win, one is stale (nothing written).
      const names = ['🎉', 'like', '👍'];
      const raced = await Promise.all(names.map((r, i) => repo.messages.react(target, change(r, i ? 'reader' : 'sender', true, 0, 0))));
      expect(raced.filter((r) => r !== 'stale')).toHaveLength(2);
      const reactions = (await repo.messages.get(chatId, 1, true))!.reactions;
      const [k0, k1] = Object.keys(reactions);
      expect(Object.keys(reactions)).toHaveLength(2);
      const missing = names.find((r) => !(r in reactions))!;
      expect(await repo.messages.react(target, change(missing, 'reader', true, 0, 2))).toBe('stale');
      // What the caller read must still hold: k0 exists, so "new reaction" is stale; joining it works.
      expect(await repo.messages.react(target, change(k0!, 'other', true, 0, 2))).toBe('stale');
      const joined = await repo.messages.react(target, change(k0!, 'other', true, 1, 2));
      expect(joined !== 'stale' && joined.reactions[k0!]).toContain('other');
      // Removing: a stale reading (others still there) changes nothing; the last user's removal frees a place.
      const only = reactions[k1!]![0]!;
      expect(await repo.messages.react(target, change(k1!, only, false, 2, 2))).toBe('stale');
      const freed = await repo.messages.react(target, change(k1!, only, false, 1, 2));
      expect(freed !== 'stale' && Object.keys(freed.reactions)).toEqual([k0]);
      const fits = await repo.messages.react(target, change(missing, 'reader', true, 0, 1));
      expect(fits !== 'stale' && Object.keys(fits.reactions).sort()).toEqual([k0!, missing].sort());
      const left = await repo.messages.react(target, change(k0!, 'other', false, 2, 2));
      expect(left !== 'stale' && left.reactions[k0!]).not.toContain('other');
      expect(await repo.messages.react({ ...target, seq: 2 }, change('x', 'reader', true, 0, 0))).toBe('stale');
      expect(await repo.messages.react({ ...target, id: messageRecord(chatId, 1).id }, change('x', 'reader', true, 0, 0))).toBe('stale');
      // A soft delete takes every reaction with it, and takes no new one.
      const deleted = await repo.messages.softDelete(target, at(9), ['🎉']);
      expect(deleted).toMatchObject({ deleted: true, message: { reactions: {} } });
      expect((await repo.messages.get(chatId, 1))?.reactions).toEqual({});
      expect(await repo.messages.react(target, change('like', 'reader', true, 0, 0))).toBe('stale');
    });

    it('reads messages of a chat by seq in one go', async () => {
      await freshChat();
      const [m1, m2] = [messageRecord(chatId, 1), messageRecord(chatId, 2)];
      await repo.messages.putAtomically(m1);
      await repo.messages.putAtomically(m2);
      const found = await repo.messages.getMany(chatId, [2, 1, 2, 7]);
      expect(found.map((m) => m.seq).sort()).toEqual([1, 2]);
      expect(await repo.messages.getMany(chatId, [])).toEqual([]);
    });
  });

  describe('AttachmentStore', () => {
    const repo = repositoryFor(makeRepo);

    it('creates an upload slot once and finds it only in its own chat', async () => {
      const [chatA, chatB] = [uid('chat'), uid('chat')];
      const a = attachmentRecord(chatA, 'owner');
      const b = attachmentRecord(chatA, 'owner', { filename: 'photo.jpg', contentType: 'image/jpeg' });
      await repo.attachments.create(a);
      await repo.attachments.create(b);
      await expect(repo.attachments.create({ ...a, ownerId: 'intruder' })).rejects.toThrow();
      const found = await repo.attachments.getMany(chatA, [a.id, b.id, uid('att')]);
      expect(found.sort((x, y) => x.id.localeCompare(y.id))).toEqual([a, b].sort((x, y) => x.id.localeCompare(y.id)));
      expect(await repo.attachments.getMany(chatB, [a.id])).toEqual([]);
    });
  });
}
