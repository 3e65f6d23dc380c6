/**
 * `GET /v1/sync` end to end (SPEC §7, issue 15) through the local gateway:
 * a device that was offline during every kind of change reaches, from sync
 * alone, the state of a device of the same user that stayed connected
 * (compared field by field); a removed participant learns of the removal
 * and nothing after it; cursors are the caller's own. Raw HTTP and
 * WebSocket frames: the SDK's own convergence test is in the SDK's suite.
 */
import { describe, expect, it } from 'vitest';
import { client, uniqueId, type TestUser } from '../support/api';
import type { Frame } from '../support/ws-client';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** JSON with sorted keys: DynamoDB returns a stored event's maps in no particular key order. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));

/** What a client keeps, built from events alone (SPEC §6: the latest `editedAt`/`deletedAt`/`at` wins). */
interface State {
  chats: Map<string, { title?: string; participants: Set<string>; archived?: boolean }>;
  messages: Map<string, { seq: number; content: string; editedAt?: string; deletedAt?: string; reactions: Record<string, string[]> }>;
  markers: Map<string, number>;
}

function apply(state: State, e: Frame) {
  const chat = (id: string) => {
    if (!state.chats.has(id)) state.chats.set(id, { participants: new Set() });
    return state.chats.get(id)!;
  };
  switch (e.type) {
    case 'chat.created':
    case 'chat.updated': {
      const c = chat(e.chat.id);
      c.title = e.chat.title;
      if (e.chat.participants) c.participants = new Set(e.chat.participants.map((p: { userId: string }) => p.userId));
      break;
    }
    case 'participants.added':
      for (const u of e.userIds) chat(e.chatId).participants.add(u);
      break;
    case 'participant.removed':
      chat(e.chatId).participants.delete(e.userId);
      break;
    case 'membership.updated':
      chat(e.chatId).archived = e.archived;
      break;
    case 'message.new':
    case 'message.edited': {
      const m = e.message;
      const known = state.messages.get(m.id);
      if (!known || (m.editedAt ?? '') >= (known.editedAt ?? '')) {
        state.messages.set(m.id, { seq: m.seq, content: m.content, editedAt: m.editedAt, deletedAt: known?.deletedAt ?? m.deletedAt, reactions: known && e.type === 'message.new' ? known.reactions : m.reactions });
      }
      break;
    }
    case 'message.deleted': {
      const known = state.messages.get(e.messageId);
      if (known) Object.assign(known, { content: '', deletedAt: e.at, reactions: {} });
      break;
    }
    case 'reaction.updated': {
      const known = state.messages.get(e.messageId);
      if (known && !known.deletedAt) known.reactions = e.reactions;
      break;
    }
    case 'messages.read':
      state.markers.set(`${e.chatId}|${e.userId}`, Math.max(state.markers.get(`${e.chatId}|${e.userId}`) ?? 0, e.lastReadSeq));
      break;
  }
}

const replay = (events: Frame[]): State => {
  const state: State = { chats: new Map(), messages: new Map(), markers: new Map() };
  for (const e of events) apply(state, e);
  return state;
};

/** Every event since `since`, following `hasMore`. */
async function drain(who: TestUser, since: string, limit = 100): Promise<{ events: Frame[]; cursor: string }> {
  const events: Frame[] = [];
  let cursor = since;
  for (let i = 0; i < 200; i++) {
    const page = await who.get(`/v1/sync?since=${encodeURIComponent(cursor)}&limit=${limit}`);
    expect(page.status).toBe(200);
    events.push(...page.body.events);
    cursor = page.body.cursor;
    if (!page.body.hasMore) return { events, cursor };
  }
  throw new Error('sync kept answering hasMore');
}

async function cursorNow(who: TestUser): Promise<string> {
  const answer = await who.get('/v1/sync');
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ events: [], hasMore: false, cursor: expect.any(String) });
  return answer.body.cursor;
}

describe('GET /v1/sync', () => {
  it('brings a device that was offline during every kind of change to the state of one that stayed online', async () => {
    const [ada, bob, cy] = await Promise.all(['ada', 'bob', 'cy'].map((n) => client(uniqueId(n))));
    const start = await cursorNow(bob);
    const online = await bob.ws();
    try {
      // Changes by others and by bob himself (on another device: the HTTP API).
      const group = (await ada.post('/v1/chats', { type: 'group', participantIds: [bob.id], title: 'Plans' })).body.chat;
      const direct = (await bob.post('/v1/chats', { type: 'direct', participantIds: [ada.id] })).body.chat;
      const m1 = (await ada.post(`/v1/chats/${group.id}/messages`, { content: 'hello' })).body.message;
      const m2 = (await bob.post(`/v1/chats/${group.id}/messages`, { content: 'hi' })).body.message;
      await ada.post(`/v1/chats/${direct.id}/messages`, { content: 'psst' });
      expect((await ada.patch(`/v1/chats/${group.id}/messages/${m1.id}`, { content: 'hello all' })).status).toBe(200);
      expect((await bob.put(`/v1/chats/${group.id}/messages/${m1.id}/reactions/like`)).status).toBe(200);
      expect((await ada.put(`/v1/chats/${group.id}/messages/${m2.id}/reactions/like`)).status).toBe(200);
      expect((await ada.del(`/v1/chats/${group.id}/messages/${m2.id}/reactions/like`)).status).toBe(200);
      expect((await bob.del(`/v1/chats/${group.id}/messages/${m2.id}`)).status).toBe(200);
      expect((await ada.post(`/v1/chats/${group.id}/read`, {})).status).toBe(200);
      expect((await bob.post(`/v1/chats/${direct.id}/read`, {})).status).toBe(200);
      expect((await ada.patch(`/v1/chats/${group.id}`, { title: 'Plans, v2' })).status).toBe(200);
      expect((await ada.post(`/v1/chats/${group.id}/participants`, { userIds: [cy.id] })).status).toBe(200);
      expect((await ada.del(`/v1/chats/${group.id}/participants/${cy.id}`)).status).toBe(204);
      expect((await bob.put(`/v1/chats/${direct.id}/archive`, { archived: true })).status).toBe(200);
      // Every change has reached the online device.
      await online.next((f) => f.type === 'membership.updated');
      await sleep(300);
      const live = online.received.filter((f) => f.type !== 'typing' && f.type !== 'presence' && f.type !== 'ack');
      expect(live.length).toBe(16);
      for (const e of live) expect(e.at, `${e.type} carries at`).toMatch(/^\d{4}-\d\d-\d\dT/);

      const synced = await drain(bob, start);
      // The same events (a boundary may repeat some: SPEC §7), in the same order within each chat.
      const ids = (events: Frame[]) => [...new Set(events.map(canonical))];
      expect(ids(synced.events).sort()).toEqual(ids(live).sort());
      for (const chatId of [group.id, direct.id]) {
        const inChat = (events: Frame[]) => ids(events.filter((e) => (e.chatId ?? e.chat?.id) === chatId));
        expect(inChat(synced.events)).toEqual(inChat(live));
      }
      // Field by field, the offline device's state is the online one's.
      const a = replay(live);
      const b = replay(synced.events);
      expect([...b.chats.entries()].map(([id, c]) => [id, c.title, [...c.participants].sort(), c.archived])).toEqual(
        [...a.chats.entries()].map(([id, c]) => [id, c.title, [...c.participants].sort(), c.archived]),
      );
      expect(Object.fromEntries(b.messages)).toEqual(Object.fromEntries(a.messages));
      expect(Object.fromEntries(b.markers)).toEqual(Object.fromEntries(a.markers));
      expect(b.messages.get(m1.id)).toMatchObject({ content: 'hello all', reactions: { like: [bob.id] } });
      expect(b.messages.get(m2.id)).toMatchObject({ content: '', deletedAt: expect.any(String) });
      expect(b.chats.get(group.id)).toMatchObject({ title: 'Plans, v2' });
      expect(b.chats.get(direct.id)).toMatchObject({ archived: true });

      // Small pages give the same events.
      const paged = await drain(bob, start, 2);
      expect(ids(paged.events).sort()).toEqual(ids(synced.events).sort());
    } finally {
      await online.close();
    }
  });

  it('tells a removed participant of the removal and nothing after it; never shows chats the caller was never in', async () => {
    const [ada, bob, eve] = await Promise.all(['ada', 'bob', 'eve'].map((n) => client(uniqueId(n))));
    const group = (await ada.post('/v1/chats', { type: 'group', participantIds: [bob.id], title: 'Team' })).body.chat;
    const [bobStart, eveStart] = [await cursorNow(bob), await cursorNow(eve)];
    await ada.post(`/v1/chats/${group.id}/messages`, { content: 'before' });
    expect((await ada.del(`/v1/chats/${group.id}/participants/${bob.id}`)).status).toBe(204);
    await ada.post(`/v1/chats/${group.id}/messages`, { content: 'secret after removal' });
    await ada.patch(`/v1/chats/${group.id}`, { title: 'Secret plans' });
    const direct = (await ada.post('/v1/chats', { type: 'direct', participantIds: [bob.id] })).body.chat;
    await ada.post(`/v1/chats/${direct.id}/messages`, { content: 'not for eve' });

    const { events } = await drain(bob, bobStart);
    // The group's chat.created came a moment before the cursor: a sync may repeat what is that recent (SPEC §7).
    const inGroup = events.filter((e) => (e.chatId ?? e.chat?.id) === group.id && e.type !== 'chat.created').map((e) => e.type);
    expect(inGroup).toEqual(['message.new', 'participant.removed']);
    expect(JSON.stringify(events)).not.toMatch(/secret/i);
    expect((await drain(eve, eveStart)).events).toEqual([]);
  });

  it('answers 400 for another user\'s, an edited or a forged cursor and a limit over 500; a fresh cursor per user', async () => {
    const [ada, mallory] = await Promise.all(['ada', 'mallory'].map((n) => client(uniqueId(n))));
    const adas = await cursorNow(ada);
    const stolen = await mallory.get(`/v1/sync?since=${encodeURIComponent(adas)}`);
    expect(stolen.status).toBe(400);
    expect(stolen.body.code).toBe('bad_request');
    const [body, tag] = adas.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ p: '0000000000' })).toString('base64url');
    expect((await ada.get(`/v1/sync?since=${forgedBody}.${tag}`)).status).toBe(400);
    expect((await ada.get(`/v1/sync?since=${body}.${'A'.repeat(22)}`)).status).toBe(400);
    expect((await ada.get(`/v1/sync?since=not-a-cursor`)).status).toBe(400);
    expect((await ada.get(`/v1/sync?limit=501`)).status).toBe(400);
    expect((await ada.get(`/v1/sync?limit=0`)).status).toBe(400);
    expect((await ada.get(`/v1/sync?since=${encodeURIComponent(adas)}&limit=500`)).status).toBe(200);
  });
});
