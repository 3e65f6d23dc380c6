/**
 * Sync rules (SPEC §6 `at`, §7) on the in-memory fakes: what a client that
 * was offline gets, cursors bound to their caller, the window, paging.
 */
import { describe, expect, it } from 'vitest';
import { HEAD_SLACK_MS, SETTLE_MS } from '../../functions/domain/change-log';
import { createChat } from '../../functions/domain/chats';
import { addParticipants, archiveChat, removeParticipant, updateChat } from '../../functions/domain/groups';
import { deleteMessage, editMessage, markRead, sendMessage } from '../../functions/domain/messages';
import { setReaction } from '../../functions/domain/reactions';
import { createCursorCodec } from '../../functions/domain/cursors';
import { sync } from '../../functions/domain/sync';
import type { Principal } from '../../functions/domain/types';
import type { SyncEventT } from '../../functions/schemas';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

async function setup() {
  const m = memoryContext({ start: new Date('2026-03-01T10:00:00.000Z') });
  const [ada, bob, cy, dee] = await Promise.all(['ada', 'bob', 'cy', 'dee'].map((id) => user(m.repo, id)));
  const { chat } = await createChat(m.ctx, ada, { type: 'group', participantIds: ['bob', 'cy'], title: 'Team' });
  m.advance(10_000);
  /** Every event since `since`, following `hasMore`, with the final cursor. */
  const drain = async (who: Principal, since: string, limit = 100) => {
    const events: SyncEventT[] = [];
    let cursor = since;
    for (let pages = 0; pages < 1000; pages++) {
      const page = await sync(m.ctx, who, { since: cursor, limit });
      events.push(...page.events);
      cursor = page.cursor;
      if (!page.hasMore) return { events, cursor, pages: pages + 1 };
    }
    throw new Error('sync kept answering hasMore');
  };
  const cursorNow = async (who: Principal) => (await sync(m.ctx, who, { limit: 100 })).cursor;
  return { ...m, ada, bob, cy, dee, chatId: chat.id, drain, cursorNow };
}

describe('events (SPEC §6)', () => {
  it('carry `at`, and a send emits no messages.read for the sender', async () => {
    const { ctx, notifier, ada, bob, chatId } = await setup();
    await sendMessage(ctx, bob, chatId, { content: 'first' });
    await sendMessage(ctx, ada, chatId, { content: 'answer' });
    expect(notifier.ofType('messages.read')).toHaveLength(0);
    const [, answer] = notifier.ofType('message.new');
    expect(answer.event).toMatchObject({ at: (answer.event as { message: { createdAt: string } }).message.createdAt });
    await markRead(ctx, bob, chatId);
    const [read] = notifier.ofType('messages.read');
    expect(read.event).toMatchObject({ userId: 'bob', lastReadSeq: 2, at: expect.any(String) });
    for (const { event } of notifier.sent) if (event.type !== 'typing' && event.type !== 'presence') expect(event.at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});

describe('sync (SPEC §7)', () => {
  it('without `since`: no events and a cursor; then every kind of change the client missed, in order, as sent live', async () => {
    const { ctx, notifier, ada, bob, cy, chatId, cursorNow, drain, advance, repo } = await setup();
    const start = await cursorNow(cy);
    expect((await sync(ctx, cy, { limit: 100 })).events).toEqual([]);
    notifier.sent.splice(0);

    const { message: m1 } = await sendMessage(ctx, ada, chatId, { content: 'hello' });
    await editMessage(ctx, ada, chatId, m1.id, 'hello all');
    await setReaction(ctx, bob, chatId, m1.id, 'like', true);
    await markRead(ctx, bob, chatId);
    const { message: m2 } = await sendMessage(ctx, bob, chatId, { content: 'oops' });
    await deleteMessage(ctx, bob, chatId, m2.id);
    await updateChat(ctx, ada, chatId, { title: 'Renamed' });
    await user(repo, 'eve');
    await addParticipants(ctx, ada, chatId, { userIds: ['eve'] });
    await archiveChat(ctx, cy, chatId, true);
    advance(5_000);

    const live = notifier.sent.filter((s) => s.userIds.includes('cy')).map((s) => s.event);
    const { events } = await drain(cy, start);
    expect(events).toEqual(live);
    expect(events.map((e) => e.type)).toEqual([
      'message.new',
      'message.edited',
      'reaction.updated',
      'messages.read',
      'message.new',
      'message.deleted',
      'chat.updated',
      'participants.added',
      'membership.updated',
    ]);
  });

  it('includes the caller\'s own actions (other devices) and their own membership.updated only', async () => {
    const { ctx, ada, bob, chatId, cursorNow, drain, advance } = await setup();
    const [adaStart, bobStart] = [await cursorNow(ada), await cursorNow(bob)];
    await sendMessage(ctx, ada, chatId, { content: 'from my phone' });
    await archiveChat(ctx, ada, chatId, true);
    advance(5_000);
    expect((await drain(ada, adaStart)).events.map((e) => e.type)).toEqual(['message.new', 'membership.updated']);
    expect((await drain(bob, bobStart)).events.map((e) => e.type)).toEqual(['message.new']);
  });

  it('gives a joiner the chat (chat.created) and participants.added, nothing from before they joined', async () => {
    const { ctx, ada, dee, chatId, cursorNow, drain, advance } = await setup();
    const start = await cursorNow(dee);
    await sendMessage(ctx, ada, chatId, { content: 'before dee' });
    advance(1_000);
    await addParticipants(ctx, ada, chatId, { userIds: ['dee'] });
    await sendMessage(ctx, ada, chatId, { content: 'welcome' });
    advance(5_000);
    const { events } = await drain(dee, start);
    expect(events.map((e) => e.type).sort()).toEqual(['chat.created', 'message.new', 'participants.added']);
    expect(events.find((e) => e.type === 'chat.created')).toMatchObject({ chat: { id: chatId, title: 'Team', lastSeq: 1, unreadCount: 1, lastReadSeq: 0 } });
    expect(events.find((e) => e.type === 'message.new')).toMatchObject({ message: { content: 'welcome' } });
  });

  it('gives a removed participant what happened until their removal, the removal, and nothing after', async () => {
    const { ctx, ada, cy, chatId, cursorNow, drain, advance } = await setup();
    const start = await cursorNow(cy);
    await sendMessage(ctx, ada, chatId, { content: 'while cy is here' });
    advance(1_000);
    await removeParticipant(ctx, ada, chatId, 'cy');
    advance(1_000);
    await sendMessage(ctx, ada, chatId, { content: 'secret after cy left' });
    await updateChat(ctx, ada, chatId, { title: 'Secret title' });
    advance(5_000);
    const { events } = await drain(cy, start);
    expect(events.map((e) => e.type)).toEqual(['message.new', 'participant.removed']);
    expect(JSON.stringify(events)).not.toMatch(/secret/i);
  });

  it('never shows a chat the caller was never in', async () => {
    const { ctx, ada, bob, dee, cursorNow, drain, advance } = await setup();
    const start = await cursorNow(dee);
    const { chat } = await createChat(ctx, ada, { type: 'direct', participantIds: ['bob'] });
    await sendMessage(ctx, bob, chat.id, { content: 'private' });
    advance(5_000);
    expect((await drain(dee, start)).events).toEqual([]);
  });

  it('refuses another user\'s cursor, an edited or forged one (400), and one past the window (410)', async () => {
    const { ctx, ada, bob, cursorNow, advance } = await setup();
    const adas = await cursorNow(ada);
    expect(await codeOf(sync(ctx, bob, { since: adas, limit: 10 }))).toBe('400 bad_request');
    const [body, tag] = adas.split('.');
    const edited = Buffer.from(JSON.stringify({ p: '0000000000' })).toString('base64url');
    expect(await codeOf(sync(ctx, ada, { since: `${edited}.${tag}`, limit: 10 }))).toBe('400 bad_request');
    expect(await codeOf(sync(ctx, ada, { since: `${body}.AAAAAAAAAAAAAAAAAAAAAA`, limit: 10 }))).toBe('400 bad_request');
    expect(await codeOf(sync(ctx, ada, { since: 'garbage', limit: 10 }))).toBe('400 bad_request');
    const otherKey = createCursorCodec('another-secret-of-at-least-32-characters!');
    expect(await codeOf(sync(ctx, ada, { since: otherKey.seal({ kind: 'sync', caller: 'ada' }, { p: '0000000000' }), limit: 10 }))).toBe('400 bad_request');
    // A cursor of another list (the support queue's) for the same user does not open either.
    expect(await codeOf(sync(ctx, ada, { since: ctx.cursors.seal({ kind: 'support-queue', caller: 'ada' }, { p: '0000000000' }), limit: 10 }))).toBe('400 bad_request');
    advance(31 * 86_400_000);
    expect(await codeOf(sync(ctx, ada, { since: adas, limit: 10 }))).toBe('410 sync_expired');
  });

  it('pages with small limits return the same events, in per-chat order, even when all share one millisecond', async () => {
    const { ctx, ada, bob, cy, chatId, cursorNow, drain, advance } = await setup();
    const start = await cursorNow(cy);
    const { chat: other } = await createChat(ctx, ada, { type: 'group', participantIds: ['cy'], title: 'Other' });
    // The clock stands still: every change below has the same timestamp.
    for (let i = 0; i < 12; i++) {
      await sendMessage(ctx, i % 2 ? ada : bob, chatId, { content: `m${i}` });
      await sendMessage(ctx, ada, other.id, { content: `o${i}` });
    }
    const all = await drain(cy, start, 500);
    expect(all.pages).toBe(1);
    expect(all.events).toHaveLength(25);
    for (const limit of [1, 2, 3, 7]) {
      const paged = await drain(cy, start, limit);
      expect(paged.events).toEqual(all.events);
      expect(paged.pages).toBeGreaterThanOrEqual(Math.ceil(25 / limit));
    }
    const seqs = (id: string) => all.events.flatMap((e) => (e.type === 'message.new' && e.chatId === id ? [e.message.seq] : []));
    expect(seqs(chatId)).toEqual([...Array(12).keys()].map((i) => i + 1));
    expect(seqs(other.id)).toEqual([...Array(12).keys()].map((i) => i + 1));
    // Once the changes have settled, the cursor moves past them: the next sync is empty.
    advance(5_000);
    const settled = await drain(cy, start);
    expect((await sync(ctx, cy, { since: settled.cursor, limit: 100 })).events).toEqual([]);
  });
});

describe('the sync head rides on the preview write (issue 15)', () => {
  /** A quiet chat (its last change long past the head slack), a cursor for cy, and a count of the change log's own head writes. */
  async function quietChat() {
    const s = await setup();
    const { message: last } = await sendMessage(s.ctx, s.ada, s.chatId, { content: 'last' });
    s.advance(HEAD_SLACK_MS + SETTLE_MS);
    const start = await s.cursorNow(s.cy);
    const touches: string[] = [];
    const touch = s.repo.changes.touchChat.bind(s.repo.changes);
    s.repo.changes.touchChat = async (chatId, at) => (touches.push(at), touch(chatId, at));
    const head = async () => (await s.repo.changes.heads([s.chatId])).get(s.chatId)!;
    return { ...s, last, start, touches, head };
  }

  it('an edit or a delete of the last message moves the head in its own write: no head write of the change log, and a sync sees it', async () => {
    const { ctx, ada, chatId, last, start, touches, head, drain, advance, cy } = await quietChat();
    await editMessage(ctx, ada, chatId, last.id, 'last!');
    expect(touches).toEqual([]);
    expect(await head()).toBe(ctx.now().toISOString());
    advance(HEAD_SLACK_MS / 2 + 1_000);
    await deleteMessage(ctx, ada, chatId, last.id);
    expect(touches).toEqual([]);
    expect(await head()).toBe(ctx.now().toISOString());
    advance(SETTLE_MS + 1);
    expect((await drain(cy, start)).events.map((e) => e.type)).toEqual(['message.edited', 'message.deleted']);
  });

  it('an edit of an older message (no chat write to ride on) or a reaction still writes the head', async () => {
    const { ctx, ada, bob, chatId, last, start, touches, drain, advance, cy } = await quietChat();
    const { message: newer } = await sendMessage(ctx, bob, chatId, { content: 'newer' });
    advance(HEAD_SLACK_MS);
    await editMessage(ctx, ada, chatId, last.id, 'older, edited');
    expect(touches).toHaveLength(1);
    advance(HEAD_SLACK_MS);
    await setReaction(ctx, ada, chatId, newer.id, 'like', true);
    expect(touches).toHaveLength(2);
    advance(SETTLE_MS + 1);
    expect((await drain(cy, start)).events.map((e) => e.type)).toEqual(['message.new', 'message.edited', 'reaction.updated']);
  });

  it('when a send replaced the preview first, the change log writes the head', async () => {
    const { ctx, repo, ada, bob, chatId, last, start, touches, drain, advance, cy } = await quietChat();
    const replace = repo.chats.replacePreview;
    let sent = false;
    repo.chats.replacePreview = async (...args) => {
      // Between the edit's read of the chat and its preview write.
      if (!sent) (sent = true), await sendMessage(ctx, bob, chatId, { content: 'in between' });
      return replace(...args);
    };
    await editMessage(ctx, ada, chatId, last.id, 'last!');
    expect((await repo.chats.getMany([chatId]))[0]!.lastMessage?.content).toBe('in between');
    expect(touches).toHaveLength(1);
    advance(SETTLE_MS + 1);
    expect((await drain(cy, start)).events.map((e) => e.type)).toEqual(['message.new', 'message.edited']);
  });

  it('a ride older than half the head slack by the time the change is recorded (a stalled function) is topped up by the change log', async () => {
    const { ctx, repo, ada, chatId, last, start, touches, head, drain, advance, cy } = await quietChat();
    const replace = repo.chats.replacePreview;
    repo.chats.replacePreview = async (...args) => {
      const out = await replace(...args);
      advance(HEAD_SLACK_MS / 2 + 1);
      return out;
    };
    await editMessage(ctx, ada, chatId, last.id, 'last!');
    expect(touches).toEqual([ctx.now().toISOString()]);
    expect(await head()).toBe(ctx.now().toISOString());
    advance(SETTLE_MS + 1);
    expect((await drain(cy, start)).events.map((e) => e.type)).toEqual(['message.edited']);
  });
});
