/**
 * Sync on DynamoDB Local (SPEC §7, issue 15): the request budgets of a sync
 * and the writes each change adds, and paging that loses nothing while
 * several "functions" (each with its own change-log publisher) write
 * concurrently and many changes share a millisecond.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createRepository } from '../../functions/data/repository';
import { withChangeLog } from '../../functions/domain/change-log';
import { createChat } from '../../functions/domain/chats';
import type { DomainContext } from '../../functions/domain/context';
import { archiveChat } from '../../functions/domain/groups';
import { deleteMessage, editMessage, markRead, sendMessage } from '../../functions/domain/messages';
import { setReaction } from '../../functions/domain/reactions';
import { sync } from '../../functions/domain/sync';
import type { Principal } from '../../functions/domain/types';
import type { SyncEventT } from '../../functions/schemas';
import { dynamoContext, freshTable, registerUsers, type CountedDb } from '../support/dynamo';

let db: CountedDb;
beforeAll(async () => {
  db = await freshTable({ capacity: true });
});

/** A clock the test moves: `ms` ahead of real time. */
function testClock() {
  const clock = { offset: 0, now: () => new Date(Date.now() + clock.offset) };
  return clock;
}

/** A domain context on DynamoDB whose notifier records changes as production does (one per "function"). */
function context(now: () => Date): DomainContext {
  const { ctx } = dynamoContext(db);
  return { ...ctx, now, notifier: withChangeLog(ctx.notifier, { changes: ctx.repo.changes, now, windowSeconds: ctx.limits.syncWindowSeconds }) };
}

async function drain(ctx: DomainContext, who: Principal, since: string, limit: number) {
  const events: SyncEventT[] = [];
  let cursor = since;
  for (let i = 0; i < 2000; i++) {
    const page = await sync(ctx, who, { since: cursor, limit });
    events.push(...page.events);
    cursor = page.cursor;
    if (!page.hasMore) return { events, cursor };
  }
  throw new Error('sync kept answering hasMore');
}

type Call = { command: string; input: Record<string, unknown> };
/** A key attribute as the base client sees it (marshalled `{S: …}`) or as the document client does. */
const attr = (item: unknown, name: string): string => {
  const v = (item as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : String((v as { S?: string } | undefined)?.S ?? '');
};
const isPut = (c: Call) => c.command === 'PutItemCommand' || c.command === 'PutCommand';
const isChangeWrite = (c: Call) => isPut(c) && attr(c.input.Item, 'PK').startsWith('CHANGES#');
const isUserChangeWrite = (c: Call) => isPut(c) && attr(c.input.Item, 'SK').startsWith('CHAT!');
const isUpdate = (c: Call) => c.command === 'UpdateItemCommand' || c.command === 'UpdateCommand';
/** A head write of its own (`touchChat`), not one riding on the change's own write of the chat item. */
const isHeadWrite = (c: Call) => isUpdate(c) && /^SET changedAt = :\w+$/.test(String(c.input.UpdateExpression ?? ''));
/** The chat item's preview replaced with the head riding on it (`replacePreview` with a head). */
const isRidingWrite = (c: Call) => isUpdate(c) && /lastMessage/.test(String(c.input.UpdateExpression ?? '')) && /changedAt/.test(String(c.input.UpdateExpression ?? ''));

describe('sync budgets on DynamoDB', () => {
  it('an empty sync costs 1 + ⌈C/100⌉ requests; one with events one more per changed chat', { timeout: 180_000 }, async () => {
    const clock = testClock();
    const ctx = context(clock.now);
    const partners = Array.from({ length: 120 }, (_, i) => `sb-p${i}`);
    const [me, ...others] = await registerUsers(ctx.repo, ['sb-me', ...partners]);
    const chats: string[] = [];
    for (let i = 0; i < others.length; i += 10) {
      chats.push(...(await Promise.all(others.slice(i, i + 10).map(async (o) => (await createChat(ctx, o, { type: 'direct', participantIds: [me.userId] })).chat.id))));
    }
    // Past the settle time and the head slack: nothing the seeding did counts as new.
    clock.offset += 20_000;
    const { cursor } = await sync(ctx, me, { limit: 100 });
    clock.offset += 1_000;

    db.reset();
    const empty = await sync(ctx, me, { since: cursor, limit: 100 });
    expect(empty.events).toEqual([]);
    expect(db.count()).toBe(1 + Math.ceil(120 / 100));
    expect(db.calls.map((c) => c.command.replace('Item', '')).sort()).toEqual(['BatchGetCommand', 'BatchGetCommand', 'QueryCommand']);

    for (const [i, chatId] of chats.slice(0, 3).entries()) await sendMessage(ctx, others[i], chatId, { content: `hello ${i}` });
    db.reset();
    const changed = await sync(ctx, me, { since: empty.cursor, limit: 100 });
    expect(changed.events.map((e) => e.type)).toEqual(['message.new', 'message.new', 'message.new']);
    expect(db.count()).toBe(1 + Math.ceil(120 / 100) + 3);
  });

  it('a send adds one write; an edit, reaction or marker move in an active chat one small write, in a quiet one also the head; an archive one', { timeout: 120_000 }, async () => {
    const clock = testClock();
    const ctx = context(clock.now);
    const [ada, bob] = await registerUsers(ctx.repo, ['sw-ada', 'sw-bob']);
    const { chat } = await createChat(ctx, ada, { type: 'direct', participantIds: [bob.userId] });
    clock.offset += 20_000;

    db.reset();
    const { message } = await sendMessage(ctx, ada, chat.id, { content: 'first' });
    expect(db.calls.filter(isChangeWrite)).toHaveLength(1);
    expect(db.calls.filter(isHeadWrite)).toHaveLength(0);

    for (const [name, change] of [
      ['edit', () => editMessage(ctx, ada, chat.id, message.id, 'first!')],
      ['reaction', () => setReaction(ctx, bob, chat.id, message.id, 'like', true)],
      ['marker', () => markRead(ctx, bob, chat.id)],
    ] as const) {
      db.reset();
      await change();
      expect(db.calls.filter(isChangeWrite), name).toHaveLength(1);
      expect(db.calls.filter(isHeadWrite), `${name}: the send a moment ago is the head`).toHaveLength(0);
      const item = db.calls.find(isChangeWrite)!.input.Item;
      expect(Buffer.byteLength(JSON.stringify(item)), `${name}: one write unit`).toBeLessThan(1024);
    }

    clock.offset += 6_000;
    db.reset();
    await setReaction(ctx, ada, chat.id, message.id, 'like', true);
    expect(db.calls.filter(isChangeWrite)).toHaveLength(1);
    expect(db.calls.filter(isHeadWrite), 'a quiet chat: the head moves too').toHaveLength(1);

    db.reset();
    await archiveChat(ctx, bob, chat.id, true);
    expect(db.calls.filter(isUserChangeWrite)).toHaveLength(1);
    expect(db.calls.filter(isChangeWrite)).toHaveLength(0);
  });
});

describe('the head rides on the preview write (issue 15)', () => {
  const isWrite = (c: Call) => /^(Put|Update|Delete|BatchWrite|TransactWrite)(Item)?Command$/.test(c.command);
  /** `Update CHAT#/MSG#`: the command and the key, ids removed. */
  const what = (c: Call) => {
    const key = c.input.Key ?? c.input.Item;
    return `${c.command.replace(/(Item)?Command$/, '')} ${attr(key, 'PK').replace(/#.*/, '#')}/${attr(key, 'SK').replace(/#.*/, '#').replace(/^[0-9A-Z]{26}$/, '…')}`;
  };
  const wcu = (calls: Call[]) => calls.reduce((sum, c) => sum + ((c as { wcu?: number }).wcu ?? NaN), 0);

  /** The writes of one change: all of them, the change log's (entries and a head write of its own), and the head riding on the preview. */
  async function writesOf(change: () => Promise<unknown>) {
    db.reset();
    await change();
    const writes = db.calls.filter(isWrite);
    const log = writes.filter((c) => isChangeWrite(c) || isUserChangeWrite(c) || isHeadWrite(c));
    return { writes, log, own: writes.filter((c) => !log.includes(c)), rides: writes.filter(isRidingWrite) };
  }

  it("an edit or delete of a quiet chat's last message costs its own writes + 1 WCU (the log entry), and another client's sync sees it; an older message's still pays the head", { timeout: 120_000 }, async () => {
    const clock = testClock();
    const ctx = context(clock.now);
    const [ada, bob] = await registerUsers(ctx.repo, ['sr-ada', 'sr-bob']);
    const { chat } = await createChat(ctx, ada, { type: 'group', participantIds: [bob.userId], title: 'Quiet' });
    const { message: older } = await sendMessage(ctx, ada, chat.id, { content: 'older' });
    const { message: last } = await sendMessage(ctx, ada, chat.id, { content: 'last' });
    // Quiet: past the settle time and the head slack; bob's other client takes its cursor now.
    clock.offset += 20_000;
    const { cursor } = await sync(ctx, bob, { limit: 100 });

    const edit = await writesOf(() => editMessage(ctx, ada, chat.id, last.id, 'last!'));
    // Its own writes: the rate-limit slot, the message, the preview (now with the head); the change log: its entry only.
    expect(edit.own.map(what)).toEqual(['Update RATE#/RATE', 'Update CHAT#/MSG#', 'Update CHAT#/META']);
    expect(edit.rides, 'the head rides on the preview write').toHaveLength(1);
    expect(edit.log.map(what)).toEqual(['Put CHANGES#/…']);
    expect(wcu(edit.log), 'the change log adds 1 WCU').toBeLessThanOrEqual(1);
    expect(wcu(edit.rides), 'the preview write, head included, is still 1 WCU').toBe(1);

    clock.offset += 20_000;
    const del = await writesOf(() => deleteMessage(ctx, ada, chat.id, last.id));
    expect(del.own.map(what)).toEqual(['Update RATE#/RATE', 'Update CHAT#/MSG#', 'Update CHAT#/META']);
    expect(del.rides).toHaveLength(1);
    expect(del.log.map(what)).toEqual(['Put CHANGES#/…']);
    expect(wcu(del.log)).toBeLessThanOrEqual(1);
    expect(wcu(del.rides)).toBe(1);

    // The floor: an edit of an older message writes no chat item, so the head is a write of its own.
    clock.offset += 20_000;
    const old = await writesOf(() => editMessage(ctx, ada, chat.id, older.id, 'older!'));
    expect(old.rides).toHaveLength(0);
    expect(old.log.map(what)).toEqual(['Put CHANGES#/…', 'Update CHAT#/META']);
    expect(old.log.filter(isHeadWrite)).toHaveLength(1);
    expect(wcu(old.log)).toBe(2);

    clock.offset += 4_000;
    const seen = await drain(ctx, bob, cursor, 100);
    expect(seen.events.map((e) => [e.type, 'messageId' in e ? e.messageId : 'message' in e ? e.message.id : ''])).toEqual([
      ['message.edited', last.id],
      ['message.deleted', last.id],
      ['message.edited', older.id],
    ]);
  });
});

describe('sync under concurrent writers', () => {
  it('pages with small limits lose nothing while four functions write at once and many changes share a millisecond', { timeout: 300_000 }, async () => {
    // A clock that moves 1 ms every 8 readings: dozens of changes share each millisecond.
    let ticks = 0;
    const base = Date.now();
    const now = () => new Date(base + Math.floor(ticks++ / 8));
    const writers = Array.from({ length: 4 }, () => context(now));
    const reader = context(now);
    const ids = ['cw-a', 'cw-b', 'cw-c', 'cw-d'];
    const users = await registerUsers(writers[0].repo, ids);
    const [a] = users;
    const { chat: group } = await createChat(writers[0], a, { type: 'group', participantIds: ids.slice(1), title: 'Busy' });
    const { chat: direct } = await createChat(writers[0], a, { type: 'direct', participantIds: ['cw-b'] });
    const start = (await sync(reader, a, { limit: 3 })).cursor;

    // The reader pages (limit 3) again and again while the writers write.
    const seen: SyncEventT[] = [];
    let writing = true;
    let cursor = start;
    const reading = (async () => {
      while (writing) {
        const page = await sync(reader, a, { since: cursor, limit: 3 });
        seen.push(...page.events);
        cursor = page.cursor;
      }
    })();
    const perWriter = 10;
    await Promise.all(
      writers.map((w, i) =>
        (async () => {
          for (let n = 0; n < perWriter; n++) {
            const chatId = n % 3 === 0 ? direct.id : group.id;
            const sender = chatId === direct.id ? users[i % 2] : users[i];
            const { message } = await sendMessage(w, sender, chatId, { content: `w${i} n${n}` });
            if (n % 4 === 1) await setReaction(w, users[(i + 1) % 4], group.id === chatId ? chatId : direct.id, message.id, 'like', true).catch(() => undefined);
          }
        })(),
      ),
    );
    writing = false;
    await reading;
    // Everything settles; the reader finishes from where it was.
    ticks += 8 * 10_000;
    seen.push(...(await drain(reader, a, cursor, 3)).events);

    const sends = seen.filter((e): e is Extract<SyncEventT, { type: 'message.new' }> => e.type === 'message.new');
    const seqsOf = (chatId: string) => [...new Set(sends.filter((e) => e.chatId === chatId).map((e) => e.message.seq))].sort((x, y) => x - y);
    const [groupLast, directLast] = await Promise.all([group.id, direct.id].map(async (id) => (await writers[0].repo.chats.getWithMembership(id, a.userId)).chat!.lastSeq));
    expect(groupLast + directLast).toBe(4 * perWriter);
    expect(seqsOf(group.id)).toEqual(Array.from({ length: groupLast }, (_, i) => i + 1));
    expect(seqsOf(direct.id)).toEqual(Array.from({ length: directLast }, (_, i) => i + 1));
    // The same as one sync from the start with a large page, once settled.
    const whole = await drain(reader, a, start, 500);
    const key = (e: SyncEventT) => JSON.stringify([e.type, 'chatId' in e ? e.chatId : '', 'message' in e ? e.message.id : '', 'messageId' in e ? e.messageId : '', e.at, 'reactions' in e ? e.reactions : '']);
    expect(new Set(seen.map(key))).toEqual(new Set(whole.events.map(key)));
    expect(whole.events.filter((e) => e.type === 'reaction.updated').length).toBeGreaterThan(0);
  });
});
