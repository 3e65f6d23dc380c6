/**
 * Issue 13 items 10–18 (the red team's Low findings), replayed from the
 * attacker's side over the wire against the run's local stack. The races of
 * item 10 run on DynamoDB Local in ./atomic-writes.test.ts; forged cursors
 * (item 11) and tokens without `exp` or with a future `iat` (item 12) are
 * kinds of the generated matrix (./auth-matrix.test.ts, BAD_TOKEN_KINDS).
 */
import { describe, expect, it } from 'vitest';
import { call, client, uniqueId } from '../support/api';
import { mintToken } from '../../local/launcher';
import { connectExpectRefusal } from '../support/ws-client';
import { expectProblem, expectSecurityHeaders, stack } from './support';

// ------------------------------------------------------------------ item 11

describe('item 11: forged support-queue cursors', () => {
  it('the red team\'s cursor (a DynamoDB key of another index, base64url) answers 400, not 500', async () => {
    const admin = await client(uniqueId('low-admin'), { roles: ['admin'] });
    const key = { PK: 'CHAT#x', SK: 'META', GSI2PK: 'AGENT#none', GSI2SK: 'open#2026' };
    const forged = Buffer.from(JSON.stringify(key)).toString('base64url');
    expectProblem(await admin.get(`/v1/support/chats?cursor=${forged}`), 400, 'bad_request');
    expectProblem(await admin.get(`/v1/support/chats?status=open&cursor=${forged}`), 400, 'bad_request');
  });
});

// ------------------------------------------------------------------ item 12

describe('item 12: token claims', () => {
  it('in OIDC mode a `cognito:groups` claim grants no role (roles come from `roles` only)', async () => {
    const id = uniqueId('low-groups');
    const token = await mintToken(stack.baseUrl, id, { claims: { 'cognito:groups': ['admin', 'support'] } });
    const me = await call(stack, 'GET', '/v1/me', { token });
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    expect(me.body.roles ?? me.body.user?.roles).toEqual(['user']);
    expectProblem(await call(stack, 'GET', '/v1/support/stats', { token }), 403, 'forbidden');
  });

  it('a token without exp or issued an hour ahead answers 401 on HTTP and is refused at $connect', async () => {
    const id = uniqueId('low-times');
    for (const options of [{ noExpiry: true }, { issuedIn: 3600 }]) {
      const token = await mintToken(stack.baseUrl, id, options);
      const res = await call(stack, 'GET', '/v1/me', { token });
      expectProblem(res, 401, 'unauthorized');
      expect(await connectExpectRefusal(stack.wsUrl, token)).toBe(401);
    }
    // Control: a token issued 30 s ahead (clock skew) is fine.
    expect((await call(stack, 'GET', '/v1/me', { token: await mintToken(stack.baseUrl, id, { issuedIn: 30 }) })).status).toBe(200);
  });
});

// ------------------------------------------------------------------ items 13 and 14

describe('item 13: bidi overrides and invisible text', () => {
  it('a look-alike name and a title with overrides are stored clean; zero-width-only content is refused', async () => {
    const [alice, bob] = await Promise.all([client(uniqueId('low-bidi-a')), client(uniqueId('low-bidi-b'))]);
    const admin = await client(uniqueId('low-bidi-admin'), { roles: ['admin'] });
    const impostor = uniqueId('low-impostor');
    const put = await admin.put(`/v1/users/${impostor}`, { name: 'Dr. Smith (Clinic Support)\u200B' });
    expect(put.status, JSON.stringify(put.body)).toBeLessThan(300);
    expect(put.body.user.name).toBe('Dr. Smith (Clinic Support)');
    const group = await alice.post('/v1/chats', { type: 'group', participantIds: [bob.id], title: 'Results\u202Efdp.exe' });
    expect(group.status).toBe(201);
    expect(group.body.chat.title).toBe('Resultsfdp.exe');
    const chatId = group.body.chat.id as string;
    expectProblem(await alice.post(`/v1/chats/${chatId}/messages`, { content: '\u200B\u200B\u2060' }), 400, 'bad_request');
    expectProblem(await alice.patch(`/v1/chats/${chatId}`, { title: '\u202E\u200B' }), 400, 'bad_request');
    const file = await alice.post(`/v1/chats/${chatId}/attachments`, { filename: 'scan\u202Egnp.exe', contentType: 'image/png', size: 10 });
    expect(file.status).toBe(201);
    expect(file.body.attachment.filename).toBe('scangnp.exe');
  });
});

describe('item 14: lone surrogates', () => {
  it('answer 400 in short content, compressed-size content, titles and metadata; nothing is stored', async () => {
    const [alice, bob] = await Promise.all([client(uniqueId('low-sur-a')), client(uniqueId('low-sur-b'))]);
    const chatId = (await alice.post('/v1/chats', { type: 'direct', participantIds: [bob.id] })).body.chat.id as string;
    for (const body of [{ content: 'hi \uD800' }, { content: `${'long text '.repeat(300)}\uDFFF` }, { content: 'ok', metadata: { note: 'x\uDBFF' } }]) {
      const res = await alice.post(`/v1/chats/${chatId}/messages`, body);
      expectProblem(res, 400, 'bad_request');
      expect(JSON.stringify(res.body.errors)).toContain('lone surrogate');
    }
    const group = await alice.post('/v1/chats', { type: 'group', participantIds: [bob.id], title: 'T\uD83D' });
    expectProblem(group, 400, 'bad_request');
    expect((await alice.get(`/v1/chats/${chatId}/messages`)).body.messages).toEqual([]);
  });
});

// ------------------------------------------------------------------ item 16

describe('item 16: roles and presence by id', () => {
  it('a stranger gets {id, name}; a chat partner and an admin see roles, online and lastSeenAt', async () => {
    const [nurse, stranger, partner] = await Promise.all([client(uniqueId('low-nurse'), { roles: ['support'] }), client(uniqueId('low-stranger')), client(uniqueId('low-partner'))]);
    const admin = await client(uniqueId('low-priv-admin'), { roles: ['admin'] });
    const socket = await nurse.ws();
    try {
      const seen = await stranger.get(`/v1/users/${nurse.id}`);
      expect(seen.status).toBe(200);
      expect(seen.body.user).toEqual({ id: nurse.id, name: expect.any(String) });
      expect((await partner.post('/v1/chats', { type: 'direct', participantIds: [nurse.id] })).status).toBe(201);
      for (const viewer of [partner, admin]) {
        expect((await viewer.get(`/v1/users/${nurse.id}`)).body.user).toMatchObject({ id: nurse.id, roles: ['user', 'support'], online: true });
      }
    } finally {
      await socket.close();
    }
  });
});

// ------------------------------------------------------------------ item 17

describe('item 17: at most 10 WebSocket connections per user', () => {
  it('the 11th closes the oldest (through @connections DELETE); the others stay open and receive', { timeout: 60_000 }, async () => {
    const [hoarder, friend] = await Promise.all([client(uniqueId('low-hoarder')), client(uniqueId('low-friend'))]);
    const chatId = (await friend.post('/v1/chats', { type: 'direct', participantIds: [hoarder.id] })).body.chat.id as string;
    const sockets = [];
    try {
      for (let i = 0; i < 10; i++) sockets.push(await hoarder.ws());
      const eleventh = await hoarder.ws();
      sockets.push(eleventh);
      const closed = await Promise.race([sockets[0]!.closed.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))]);
      expect(closed, 'the oldest connection is closed').toBe(true);
      expect((await friend.post(`/v1/chats/${chatId}/messages`, { content: 'still here?' })).status).toBe(201);
      for (const socket of sockets.slice(1)) await socket.next((f) => f.type === 'message.new', 10_000);
    } finally {
      await Promise.all(sockets.map((s) => s.close()));
    }
  });
});

// ------------------------------------------------------------------ item 18

describe('item 18: security headers', () => {
  it('successes, problems and public documents carry HSTS, nosniff, a restrictive CSP and no-referrer; /docs keeps its own CSP', async () => {
    const alice = await client(uniqueId('low-headers'));
    expectSecurityHeaders(await alice.get('/v1/me'));
    expectSecurityHeaders(await alice.get('/v1/chats/ZZZZZZZZZZZZZZZZZZZZZZZZZZ'));
    expectSecurityHeaders(await call(stack, 'GET', '/health'), false);
    expectSecurityHeaders(await call(stack, 'GET', '/openapi.json'), false);
    const docs = await call(stack, 'GET', '/docs');
    expect(docs.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(docs.headers.get('content-security-policy')).not.toMatch(/https?:|unsafe-eval|\*/);
    expect(docs.headers.get('strict-transport-security')).toMatch(/max-age/);
    expect(String(docs.body)).not.toMatch(/<script[^>]+src="(https?:)?\/\//);
  });
});
