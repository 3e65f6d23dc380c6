/** The contract of `UserStore`, `ChatStore` and `MembershipStore`. */
import { describe, expect, it } from 'vitest';
import type { ChatUniqueness } from '../../../functions/domain/ports';
import { ulid } from 'ulid';
import { messageId } from '../../../functions/domain/ids';
import type { MessagePreview } from '../../../functions/domain/types';
import { at, chatRecord, chatWith, member, storedChat, T0, uid, repositoryFor, type MakeRepository } from './fixtures';

const preview = (seq: number, over: Partial<MessagePreview> = {}): MessagePreview => ({ id: `m${seq}`, seq, senderId: 'a', type: 'text', content: `c${seq}`, createdAt: at(seq), ...over });

export function userContract(makeRepo: MakeRepository) {
  describe('UserStore', () => {
    const repo = repositoryFor(makeRepo);

    it('records a caller seen with a token, keeping createdAt when name or roles change', async () => {
      const id = uid('user');
      expect(await repo.users.get(id)).toBeUndefined();
      await repo.users.touch({ userId: id, name: 'Ada', roles: ['user'], email: 'ada@example.com' }, T0);
      expect(await repo.users.get(id)).toEqual({ id, name: 'Ada', roles: ['user'], email: 'ada@example.com', createdAt: T0, updatedAt: T0 });
      await repo.users.touch({ userId: id, name: 'Ada L.', roles: ['user', 'admin'] }, at(60));
      expect(await repo.users.get(id)).toEqual({ id, name: 'Ada L.', roles: ['user', 'admin'], createdAt: T0, updatedAt: at(60) });
    });

    // Issue 19: Cognito access tokens carry no `name`; the per-request touch must not overwrite what PUT /v1/users provisioned.
    it('keeps the directory\'s name for a token without a name claim, and answers the name it holds', async () => {
      const id = uid('user');
      await repo.users.put({ id, name: 'Dana Lee', roles: ['user'], createdAt: T0, updatedAt: T0 });
      expect(await repo.users.touch({ userId: id, name: id, nameFromToken: false, roles: ['user', 'support'] }, at(10))).toBe('Dana Lee');
      expect(await repo.users.get(id)).toMatchObject({ id, name: 'Dana Lee', roles: ['user', 'support'], createdAt: T0, updatedAt: at(10) });
      // A token with a name claim is the identity provider's word: it wins.
      expect(await repo.users.touch({ userId: id, name: 'Dana L.', nameFromToken: true, roles: ['user'] }, at(20))).toBe('Dana L.');
      expect((await repo.users.get(id))!.name).toBe('Dana L.');
      // A first sign-in without a name claim still creates the entry, with the fallback name.
      const fresh = uid('user');
      expect(await repo.users.touch({ userId: fresh, name: fresh, nameFromToken: false, roles: ['user'] }, at(30))).toBe(fresh);
      expect((await repo.users.get(fresh))!.name).toBe(fresh);
    });

    it('provisions and replaces an entry, keeping createdAt, and reads many at once', async () => {
      const [a, b] = [uid('user'), uid('user')];
      const first = await repo.users.put({ id: a, name: 'First', roles: ['user'], createdAt: T0, updatedAt: T0 });
      expect(first).toEqual({ id: a, name: 'First', roles: ['user'], createdAt: T0, updatedAt: T0 });
      const replaced = await repo.users.put({ id: a, name: 'Second', roles: ['user', 'support'], email: 'b@example.com', createdAt: at(5), updatedAt: at(5) });
      // A support role counts for assignment a day after it was provisioned, unless told otherwise.
      const aDay = Date.parse(at(5)) / 1000 + 86_400;
      expect(replaced).toEqual({ id: a, name: 'Second', roles: ['user', 'support'], email: 'b@example.com', createdAt: T0, updatedAt: at(5), supportUntil: aDay });
      await repo.users.put({ id: b, name: 'Other', roles: ['user'], createdAt: T0, updatedAt: T0 });
      const many = await repo.users.getMany([a, b, uid('missing')]);
      expect([...many.keys()].sort()).toEqual([a, b].sort());
      expect(many.get(a)).toEqual(replaced);
    });
  });
}

export function chatContract(makeRepo: MakeRepository) {
  describe('ChatStore', () => {
    const repo = repositoryFor(makeRepo);

    it('creates a chat with its memberships, read back alone, many at once, or with a membership', async () => {
      const [a, b] = [uid('u'), uid('u')];
      const chat = chatRecord({ title: 'Team', metadata: { color: 'blue' }, participantCount: 2 });
      expect(await repo.chats.create(chat, [member(chat.id, a, { role: 'owner' }), member(chat.id, b)])).toEqual({ created: true });
      const other = await chatWith(repo, [a]);
      expect(await repo.chats.getWithMembership(chat.id, a)).toEqual({ chat, membership: member(chat.id, a, { role: 'owner' }) });
      expect(await repo.chats.getWithMembership(chat.id, uid('stranger'))).toEqual({ chat, membership: undefined });
      expect(await repo.chats.getWithMembership(uid('chat'), a)).toEqual({ chat: undefined, membership: undefined });
      const many = await repo.chats.getMany([chat.id, uid('missing'), other.id]);
      expect(many.sort((x, y) => x.id.localeCompare(y.id))).toEqual([chat, other].sort((x, y) => x.id.localeCompare(y.id)));
      expect(await repo.chats.getMany([])).toEqual([]);
    });

    it('keeps one chat per uniqueness: a taken one answers the existing chat and writes nothing', async () => {
      const [a, b] = [uid('u'), uid('u')];
      const first = chatRecord({ type: 'direct', participantCount: 2 });
      const direct = (x: string, y: string): ChatUniqueness => ({ kind: 'direct', userIds: [x, y] });
      expect(await repo.chats.create(first, [member(first.id, a), member(first.id, b)], direct(a, b))).toEqual({ created: true });
      const again = chatRecord({ type: 'direct', participantCount: 2 });
      // The pair in either order is the same uniqueness.
      expect(await repo.chats.create(again, [member(again.id, b), member(again.id, a)], direct(b, a))).toEqual({ created: false, chatId: first.id });
      expect(await repo.chats.getMany([again.id])).toEqual([]);
      expect((await repo.memberships.listByUser(a)).map((m) => m.chatId)).toEqual([first.id]);

      // Kinds and values are separate uniquenesses; a context is one per chat type and set of people.
      const context: ChatUniqueness = { kind: 'context', chatType: 'group', type: 'order', id: uid('o'), people: [a, b] };
      const c1 = chatRecord();
      const c2 = chatRecord();
      expect(await repo.chats.create(c1, [member(c1.id, a)], context)).toEqual({ created: true });
      expect(await repo.chats.create(c2, [member(c2.id, a)], { ...context, id: `${context.id}-2` })).toEqual({ created: true });
      expect(await repo.chats.create(chatRecord(), [], context)).toEqual({ created: false, chatId: c1.id });
      expect(await repo.chats.create(chatRecord(), [], { ...context, people: [b, a, a] })).toEqual({ created: false, chatId: c1.id });
      const others = chatRecord();
      expect(await repo.chats.create(others, [], { ...context, people: [a, 'carol'] })).toEqual({ created: true });
      expect(await repo.chats.create(chatRecord(), [], { ...context, chatType: 'direct' })).toEqual({ created: true });
      // The uniqueness is found by value without writing (an idempotent create reads it first).
      expect(await repo.chats.findUnique({ ...context, people: [b, a] })).toBe(c1.id);
      expect(await repo.chats.findUnique(direct(b, a))).toBe(first.id);
      expect(await repo.chats.findUnique({ ...context, people: [a, 'dave'] })).toBeUndefined();
      const s1 = chatRecord({ type: 'support' });
      expect(await repo.chats.create(s1, [], { kind: 'support', requesterId: a })).toEqual({ created: true });
    });

    it('creates one chat when creates of the same uniqueness race', async () => {
      const unique: ChatUniqueness = { kind: 'context', chatType: 'group', type: 'race', id: uid('r'), people: ['racer'] };
      const chats = Array.from({ length: 4 }, () => chatRecord());
      const results = await Promise.all(chats.map((c) => repo.chats.create(c, [member(c.id, 'racer')], unique)));
      const created = results.flatMap((r, i) => (r.created ? [chats[i].id] : []));
      expect(created).toHaveLength(1);
      for (const r of results) if (!r.created) expect(r.chatId).toBe(created[0]);
      expect(await repo.chats.getMany(chats.map((c) => c.id))).toHaveLength(1);
    });

    it('moves lastSeq, lastMessage and lastActivityAt forward only', async () => {
      const chat = await chatWith(repo, [uid('u')]);
      await repo.chats.recordMessage(chat.id, preview(5));
      await repo.chats.recordMessage(chat.id, preview(3));
      await repo.chats.recordMessage(chat.id, preview(5, { id: 'other' }));
      expect(await storedChat(repo, chat.id)).toEqual({ ...chat, lastSeq: 5, lastMessage: preview(5), lastActivityAt: at(5), updatedAt: at(5) });
      // A chat that does not exist is not created by a late message.
      const missing = uid('chat');
      await repo.chats.recordMessage(missing, preview(1));
      expect(await storedChat(repo, missing)).toBeUndefined();
    });

    it('allocates seqs atomically: concurrent allocations get distinct consecutive seqs and the highest one\'s preview', async () => {
      const chat = await chatWith(repo, [uid('u')]);
      const ulids = Array.from({ length: 12 }, () => ulid());
      const next = (i: number) => ({ ulid: ulids[i], senderId: `s${i}`, type: 'text' as const, content: `c${i}`, createdAt: at(i + 1) });
      const seqs = await Promise.all(ulids.map((_, i) => repo.chats.allocateSeq(chat.id, next(i))));
      expect([...seqs].sort((x, y) => x! - y!)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      const top = seqs.indexOf(12);
      const stored = await storedChat(repo, chat.id);
      expect(stored).toMatchObject({ lastSeq: 12, lastActivityAt: at(top + 1), updatedAt: at(top + 1) });
      // The preview is the message allocated last, with the id its seq gives it.
      expect(stored?.lastMessage).toEqual({ id: messageId(ulids[top], 12), seq: 12, senderId: `s${top}`, type: 'text', content: `c${top}`, createdAt: at(top + 1) });
      // That preview can be replaced by its id (an edit or delete of the message) and by nothing else.
      await repo.chats.replacePreview(chat.id, { ...stored!.lastMessage!, id: messageId(ulids[top], 11), seq: 11, content: 'not this one' });
      await repo.chats.replacePreview(chat.id, { ...stored!.lastMessage!, content: 'edited' });
      expect((await storedChat(repo, chat.id))?.lastMessage).toEqual({ ...stored!.lastMessage!, content: 'edited' });
      // A chat that does not exist is not created by an allocation.
      const missing = uid('chat');
      expect(await repo.chats.allocateSeq(missing, next(0))).toBeUndefined();
      expect(await storedChat(repo, missing)).toBeUndefined();
    });

    it('replaces the preview only while it is still the same message, and stamps a first response once', async () => {
      const chat = await chatWith(repo, [uid('u')]);
      await repo.chats.recordMessage(chat.id, preview(1));
      await repo.chats.replacePreview(chat.id, preview(1, { content: 'edited' }));
      await repo.chats.replacePreview(chat.id, preview(7, { content: 'not the latest' }));
      expect((await storedChat(repo, chat.id))?.lastMessage).toEqual(preview(1, { content: 'edited' }));
      await repo.chats.recordFirstResponse(chat.id, at(30), 30);
      await repo.chats.recordFirstResponse(chat.id, at(90), 90);
      expect(await storedChat(repo, chat.id)).toMatchObject({ firstResponseAt: at(30), firstResponseSeconds: 30 });
      await repo.chats.replacePreview(uid('chat'), preview(1));
      await repo.chats.recordFirstResponse(uid('chat'), at(1), 1);
    });

    it('moves the sync head forward in the preview\'s own write, only while the preview is the same message', async () => {
      const chat = await chatWith(repo, [uid('u')], { updatedAt: at(1) });
      await repo.chats.recordMessage(chat.id, preview(1));
      const head = async () => (await repo.changes.heads([chat.id])).get(chat.id);
      expect(await repo.chats.replacePreview(chat.id, preview(1, { content: 'edited' }), at(20))).toEqual({ replaced: true, changedAt: at(20) });
      expect(await head()).toBe(at(20));
      // A head a concurrent change moved further stays; the preview is still replaced, and the later head answered.
      await repo.changes.touchChat(chat.id, at(40));
      expect(await repo.chats.replacePreview(chat.id, preview(1, { content: 'again' }), at(30))).toEqual({ replaced: true, changedAt: at(40) });
      expect((await storedChat(repo, chat.id))?.lastMessage).toEqual(preview(1, { content: 'again' }));
      expect(await head()).toBe(at(40));
      // Another message's preview: nothing written, the head included (the change log writes it then).
      expect(await repo.chats.replacePreview(chat.id, preview(7, { content: 'not the latest' }), at(50))).toEqual({ replaced: false });
      expect(await head()).toBe(at(40));
      expect((await storedChat(repo, chat.id))?.lastMessage).toEqual(preview(1, { content: 'again' }));
      // Without a head, the head is left alone; no chat, nothing.
      expect(await repo.chats.replacePreview(chat.id, preview(1, { content: 'third' }))).toEqual({ replaced: true });
      expect(await head()).toBe(at(40));
      expect(await repo.chats.replacePreview(uid('chat'), preview(1), at(60))).toEqual({ replaced: false });
    });

    it('moves the head with the preview an allocation wrote before its seq was known', async () => {
      const chat = await chatWith(repo, [uid('u')]);
      const id = ulid();
      const seq = await repo.chats.allocateSeq(chat.id, { ulid: id, senderId: 'a', type: 'text', content: 'c', createdAt: at(1) });
      const stored = (await storedChat(repo, chat.id))!.lastMessage!;
      expect(stored.id).toBe(messageId(id, seq!));
      expect(await repo.chats.replacePreview(chat.id, { ...stored, content: 'edited' }, at(20))).toEqual({ replaced: true, changedAt: at(20) });
      expect((await repo.changes.heads([chat.id])).get(chat.id)).toBe(at(20));
    });

    it('updates on the expected values only, removing fields set to undefined', async () => {
      const chat = await chatWith(repo, [uid('u')], { type: 'support', status: 'open', assigneeId: null, title: 'Help' });
      const claimed = await repo.chats.update(chat, { assigneeId: 'agent-1', updatedAt: at(1) }, { expect: { assigneeId: null } });
      expect(claimed).toEqual({ ...chat, assigneeId: 'agent-1', updatedAt: at(1) });
      expect(await repo.chats.update(chat, { assigneeId: 'agent-2' }, { expect: { assigneeId: null } })).toBeUndefined();
      expect(await repo.chats.update(chat, { status: 'waiting' }, { expect: { status: 'resolved' } })).toBeUndefined();
      expect(await storedChat(repo, chat.id)).toEqual(claimed);
      const untitled = await repo.chats.update(claimed!, { title: undefined, status: 'waiting', metadata: { k: 1 } }, { expect: { status: 'open', assigneeId: 'agent-1' } });
      const { title: _title, ...rest } = { ...claimed!, status: 'waiting' as const, metadata: { k: 1 } };
      expect(await storedChat(repo, chat.id)).toEqual(rest);
      expect(untitled).toMatchObject({ status: 'waiting', metadata: { k: 1 } });
      expect(untitled?.title).toBeUndefined();
      expect(await repo.chats.update(chatRecord(), { title: 'ghost' })).toBeUndefined();
    });

    it('frees a uniqueness with the update that closes its chat, and never another chat\'s', async () => {
      const requester = uid('u');
      const unique: ChatUniqueness = { kind: 'support', requesterId: requester };
      const chat = chatRecord({ type: 'support', status: 'open', requesterId: requester });
      await repo.chats.create(chat, [member(chat.id, requester)], unique);
      expect(await repo.chats.create(chatRecord(), [], unique)).toEqual({ created: false, chatId: chat.id });

      // Another chat cannot release it: the whole update fails.
      const intruder = await chatWith(repo, [], { type: 'support', status: 'open' });
      expect(await repo.chats.update(intruder, { status: 'closed' }, { releaseUnique: unique })).toBeUndefined();
      expect((await storedChat(repo, intruder.id))?.status).toBe('open');
      expect(await repo.chats.create(chatRecord(), [], unique)).toEqual({ created: false, chatId: chat.id });

      expect(await repo.chats.update(chat, { status: 'closed' }, { expect: { status: 'open' }, releaseUnique: unique })).toMatchObject({ status: 'closed' });
      const next = chatRecord({ type: 'support', status: 'open' });
      expect(await repo.chats.create(next, [], unique)).toEqual({ created: true });
      // Releasing a uniqueness nobody holds (any more) is no obstacle.
      const other = await chatWith(repo, [], { type: 'support', status: 'open' });
      expect(await repo.chats.update(other, { status: 'closed' }, { releaseUnique: { kind: 'support', requesterId: uid('u') } })).toMatchObject({ status: 'closed' });
    });
  });
}

export function membershipContract(makeRepo: MakeRepository) {
  describe('MembershipStore', () => {
    const repo = repositoryFor(makeRepo);

    it('lists a user\'s memberships, a chat\'s participants, and memberships and markers of some users', async () => {
      const [a, b, stranger] = [uid('u'), uid('u'), uid('u')];
      const chat = chatRecord({ participantCount: 2 });
      await repo.chats.create(chat, [member(chat.id, a, { role: 'owner', lastReadSeq: 3 }), member(chat.id, b, { archived: true })]);
      const other = await chatWith(repo, [a]);
      const byChat = (ms: { chatId: string }[]) => [...ms].sort((x, y) => x.chatId.localeCompare(y.chatId));
      expect(byChat(await repo.memberships.listByUser(a))).toEqual(byChat([member(chat.id, a, { role: 'owner', lastReadSeq: 3 }), member(other.id, a)]));
      expect(await repo.memberships.listByUser(b)).toEqual([member(chat.id, b, { archived: true })]);
      expect(await repo.memberships.listByUser(stranger)).toEqual([]);
      const participants = await repo.memberships.listParticipants(chat.id);
      expect(participants.sort((x, y) => x.userId.localeCompare(y.userId))).toEqual(
        [{ userId: a, role: 'owner', joinedAt: T0 }, { userId: b, role: 'member', joinedAt: T0 }].sort((x, y) => x.userId.localeCompare(y.userId)),
      );
      expect(await repo.memberships.listParticipants(uid('chat'))).toEqual([]);
      expect((await repo.memberships.getMany(chat.id, [b, stranger])).map((m) => m.userId)).toEqual([b]);
      expect(await repo.memberships.readMarkers(chat.id, [a, b, stranger])).toEqual(new Map([[a, 3], [b, 0]]));
    });

    it('moves a read marker forward only, answering the stored marker when it did not move', async () => {
      const [a, stranger] = [uid('u'), uid('u')];
      const chat = await chatWith(repo, [a]);
      expect(await repo.memberships.advanceReadMarker(chat.id, a, 4, at(4))).toEqual({ moved: true, lastReadSeq: 4 });
      expect(await repo.memberships.advanceReadMarker(chat.id, a, 2, at(5))).toEqual({ moved: false, lastReadSeq: 4 });
      expect(await repo.memberships.advanceReadMarker(chat.id, a, 4, at(6))).toEqual({ moved: false, lastReadSeq: 4 });
      expect(await repo.memberships.advanceReadMarker(chat.id, stranger, 9, at(7))).toEqual({ moved: false, lastReadSeq: undefined });
      expect((await repo.chats.getWithMembership(chat.id, a)).membership).toMatchObject({ lastReadSeq: 4, lastReadAt: at(4) });
      const raced = await Promise.all([6, 9, 7].map((seq) => repo.memberships.advanceReadMarker(chat.id, a, seq, at(seq))));
      expect(raced.find((r) => r.moved && r.lastReadSeq === 9)).toBeDefined();
      expect((await repo.chats.getWithMembership(chat.id, a)).membership?.lastReadSeq).toBe(9);
    });

    it('adds members within the size limit: added, full, conflict or missing, all or nothing', async () => {
      const [owner, b, c, d] = [uid('u'), uid('u'), uid('u'), uid('u')];
      const chat = await chatWith(repo, [owner]);
      expect(await repo.memberships.add(chat.id, [member(chat.id, b), member(chat.id, c)], 3)).toBe('added');
      expect((await storedChat(repo, chat.id))?.participantCount).toBe(3);
      expect(await repo.memberships.add(chat.id, [member(chat.id, d)], 3)).toBe('full');
      expect(await repo.memberships.add(chat.id, [member(chat.id, d), member(chat.id, b)], 10)).toBe('conflict');
      expect(await repo.memberships.getMany(chat.id, [d])).toEqual([]);
      expect((await storedChat(repo, chat.id))?.participantCount).toBe(3);
      expect(await repo.memberships.add(uid('chat'), [member('x', d)], 10)).toBe('missing');
      expect(await repo.memberships.listByUser(d)).toEqual([]);
    });

    it('adds more than one transaction holds (99) all or nothing: over the limit writes none, a late conflict takes back the rest', async () => {
      const owner = uid('u');
      const chat = await chatWith(repo, [owner]);
      const many = Array.from({ length: 150 }, () => member(chat.id, uid('m')));
      expect(await repo.memberships.add(chat.id, many, 120)).toBe('full');
      expect(await repo.memberships.getMany(chat.id, many.map((m) => m.userId))).toEqual([]);
      expect((await storedChat(repo, chat.id))?.participantCount).toBe(1);
      // The 130th joined on its own: the second transaction fails, and the first 99 are taken back.
      expect(await repo.memberships.add(chat.id, [many[129]!], 1000)).toBe('added');
      expect(await repo.memberships.add(chat.id, many, 1000)).toBe('conflict');
      expect((await repo.memberships.getMany(chat.id, many.map((m) => m.userId))).map((m) => m.userId)).toEqual([many[129]!.userId]);
      expect((await storedChat(repo, chat.id))?.participantCount).toBe(2);
    });

    it('removes a member once, lowering the count, and changes per-user state of members only', async () => {
      const [a, b] = [uid('u'), uid('u')];
      const chat = await chatWith(repo, [a, b]);
      expect(await repo.memberships.update(chat.id, b, { archived: true })).toBe(true);
      expect(await repo.memberships.update(chat.id, b, { role: 'admin' })).toBe(true);
      expect((await repo.chats.getWithMembership(chat.id, b)).membership).toMatchObject({ archived: true, role: 'admin' });
      expect(await repo.memberships.update(chat.id, uid('u'), { archived: true })).toBe(false);
      expect(await repo.memberships.remove(chat.id, b)).toBe(true);
      expect(await repo.memberships.remove(chat.id, b)).toBe(false);
      expect(await repo.chats.getWithMembership(chat.id, b)).toMatchObject({ membership: undefined, chat: { participantCount: 1 } });
      expect((await repo.memberships.listParticipants(chat.id)).map((p) => p.userId)).toEqual([a]);
      expect(await repo.memberships.remove(uid('chat'), a)).toBe(false);
    });

    it('removes a member only while it has the expected role (issue 13 item 10: whoever removes an owner knows it)', async () => {
      const [a, b] = [uid('u'), uid('u')];
      const chat = await chatWith(repo, [a, b]);
      expect(await repo.memberships.update(chat.id, b, { role: 'owner' })).toBe(true);
      expect(await repo.memberships.remove(chat.id, b, 'member')).toBe(false);
      expect((await storedChat(repo, chat.id))?.participantCount).toBe(2);
      expect(await repo.memberships.remove(chat.id, b, 'owner')).toBe(true);
      expect((await storedChat(repo, chat.id))?.participantCount).toBe(1);
      expect(await repo.memberships.remove(chat.id, b, 'owner')).toBe(false);
    });
  });
}
