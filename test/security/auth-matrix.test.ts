/**
 * Authorization matrix generated from the route table (`functions/routes.ts`),
 * so a new route is covered (or fails for lack of a fixture) automatically:
 *
 * - every authenticated HTTP route × every bad token kind → 401 problem
 *   (`code: unauthorized`); every WebSocket route × every bad token kind →
 *   the upgrade (`$connect ?token=`) is refused with 401;
 * - every chat-scoped route (`{chatId}`) and WebSocket action taking `chatId`:
 *   a non-participant gets exactly the answer of a chat that does not exist
 *   (no existence leak); platform admins read any chat;
 * - every route with `roles`: a valid user without one of them gets 403;
 * - every route with a `rateLimit` (SPEC §5): with the caller's counter full,
 *   429 `rate_limited` with `Retry-After` (WebSocket: an `error` frame with
 *   `retryAfter`); one slot short of full, one call passes and the next is
 *   refused, so the route takes a slot of exactly that limit;
 * - every paged route (`paging` in the table): forged, tampered, foreign-key
 *   and wrongly signed cursors answer 400 `bad_request` (never a 5xx: a
 *   forged key never reaches DynamoDB as `ExclusiveStartKey`); a signed
 *   cursor opens only for the caller it was given to and with its filters;
 * - every answer above (401s and the valid-token controls) carries the
 *   security headers (issue 13 item 18);
 * - finally, every route of the table was exercised.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../functions/data/client';
import { rateKey } from '../../functions/data/keys';
import { DEFAULT_LIMITS } from '../../functions/domain/context';
import { createCursorCodec } from '../../functions/domain/cursors';
import { httpRoutes, wsRoutes, type RateClass } from '../../functions/routes';
import { connect, RefusedError, type WsClient } from '../support/ws-client';
import { mintToken } from '../../local/launcher';
import { client, uniqueId } from '../support/api';
import {
  authRoutes,
  BAD_TOKEN_KINDS,
  badTokens,
  createFixtures,
  expectProblem,
  expectSecurityHeaders,
  paramNames,
  requestFor,
  routeFixtures,
  send,
  validCaller,
  stack,
  withoutInstance,
  type BadTokenKind,
  type Fixtures,
  type Route,
} from './support';

let f: Fixtures;
let bad: Record<BadTokenKind, string | undefined>;
/** Route names exercised per matrix, checked at the end. */
const hit = { unauthorized: new Set<string>(), hiding: new Set<string>(), roles: new Set<string>(), rateLimits: new Set<string>(), cursors: new Set<string>() };
let cases = 0;

/** A chat id with the right shape that no chat has. */
const MISSING_CHAT = 'ZZZZZZZZZZZZZZZZZZZZZZZZZZ';

/** Minimal frames per WebSocket action route (those with a frame schema); `$default` gets an unknown action. */
const wsFrames = (fx: Fixtures, chatId = fx.groupId): Record<string, Record<string, unknown>> => ({
  sendMessage: { action: 'sendMessage', chatId, content: 'ws matrix' },
  typing: { action: 'typing', chatId, isTyping: true },
  markRead: { action: 'markRead', chatId },
  ping: { action: 'ping' },
  $default: { action: 'noSuchAction' },
});
const CLIENT_ROUTES = wsRoutes.filter((r) => r.routeKey !== '$connect' && r.routeKey !== '$disconnect');
/** WebSocket action routes whose frame names a chat. */
const CHAT_WS_ROUTES = wsRoutes.filter((r) => 'frame' in r && r.frame && 'chatId' in (wsFrames({ groupId: 'x' } as Fixtures)[r.routeKey] ?? {}));

beforeAll(async () => {
  f = await createFixtures('sec-matrix');
  bad = await badTokens(f.owner.id);
});

afterAll(() => {
  console.info(`[security] authorization matrix: ${cases} cases`);
});

describe('fixtures', () => {
  it('every route of the table has a request fixture whose body and query satisfy its schemas', () => {
    for (const route of authRoutes) {
      expect(routeFixtures[route.name], `routeFixtures has no entry for ${route.name}: add one in test/security/support.ts`).toBeDefined();
      const req = requestFor(route, f);
      if ('body' in route && route.body) expect(route.body.safeParse(req.body).success, `${route.name} fixture body`).toBe(true);
      if ('params' in route && route.params) expect(route.params.safeParse(req.params).success, `${route.name} fixture params`).toBe(true);
      if ('query' in route && route.query) expect(route.query.safeParse(req.query).success, `${route.name} fixture query`).toBe(true);
    }
    for (const route of CLIENT_ROUTES) {
      const frame = wsFrames(f)[route.routeKey];
      expect(frame, `no WebSocket frame fixture for ${route.routeKey}`).toBeDefined();
      if ('frame' in route && route.frame) expect(route.frame.safeParse(frame).success, `${route.routeKey} frame fixture`).toBe(true);
    }
  });
});

describe('401 for every authenticated HTTP route × bad token kind', () => {
  it.each(authRoutes.map((r) => [`${r.name} ${r.method} ${r.path}`, r] as const))('%s', async (_name, route) => {
    const req = requestFor(route, f);
    for (const kind of BAD_TOKEN_KINDS) {
      const res = await send(req, bad[kind]);
      expect(res.status, `${kind}: ${JSON.stringify(res.body)}`).toBe(401);
      expectProblem(res, 401, 'unauthorized');
      expectSecurityHeaders(res);
      cases++;
    }
    // A non-Bearer scheme and an empty Bearer are no better.
    for (const authorization of ['Basic b3duZXI6cGFzcw==', 'Bearer ', `Bearer ${f.owner.token}x`, f.owner.token]) {
      const res = await send(req, undefined, { authorization });
      expectProblem(res, 401, 'unauthorized');
      cases++;
    }
    // Control: the same request with a valid token is not refused, so the 401s above are about the token.
    const valid = await send(req, validCaller(route as { name: string; roles?: readonly string[] }, f).token);
    expect(valid.status, `valid token: ${JSON.stringify(valid.body)}`).not.toBe(401);
    expect(valid.status, `valid token: ${JSON.stringify(valid.body)}`).toBeLessThan(500);
    // Issue 13 item 18: successes and refusals alike carry the security headers.
    expectSecurityHeaders(valid);
    hit.unauthorized.add(route.name);
  });
});

describe('401 upgrade refusal for every WebSocket route × bad token kind', () => {
  const wsTargets = wsRoutes.filter((r) => r.routeKey !== '$disconnect');
  it.each(wsTargets.map((r) => [`${r.name} ${r.routeKey}`, r] as const))('%s', async (_name, route) => {
    for (const kind of BAD_TOKEN_KINDS) {
      let opened: WsClient | undefined;
      try {
        opened = await connect(stack.wsUrl, bad[kind]);
      } catch (error) {
        expect(error, `${kind}`).toBeInstanceOf(RefusedError);
        expect((error as RefusedError).status, `${kind}: ${(error as RefusedError).body}`).toBe(401);
      }
      if (opened) {
        // The upgrade must not open; show what the action would have done.
        const frame = wsFrames(f)[route.routeKey];
        const answer = frame ? await opened.request(String(frame.action), frame).catch((e: Error) => e.message) : undefined;
        await opened.close();
        expect.fail(`${kind} token opened a WebSocket (${route.routeKey} answered ${JSON.stringify(answer)})`);
      }
      cases++;
    }
    // Control: a valid token opens.
    await (await connect(stack.wsUrl, f.owner.token)).close();
    // `token` given twice or empty is refused too.
    for (const url of [`${stack.wsUrl}?token=`, `${stack.wsUrl}?token=&token=`]) {
      await expect(connect(url)).rejects.toMatchObject({ status: 401 });
      cases++;
    }
    hit.unauthorized.add(route.name);
  });
});

describe('no existence leak: a non-participant gets the 404 of a missing chat', () => {
  const chatRoutes = authRoutes.filter((r) => paramNames(r).includes('chatId'));

  it.each(chatRoutes.map((r) => [`${r.name} ${r.method} ${r.path}`, r] as const))('%s', async (_name, route) => {
    // Callers who are in none of the fixture chats: a plain user, and a holder of each
    // route role that is not `admin` (platform admins may see every chat).
    const callers = [{ who: 'outsider', token: f.outsider.token }];
    const roles = ('roles' in route ? route.roles : []) as readonly string[];
    if (roles.includes('support')) callers.push({ who: 'support agent', token: f.agent.token });
    for (const { who, token } of callers) {
      const missing = await send(requestFor(route, f, { params: { chatId: MISSING_CHAT } }), token);
      for (const chat of ['directId', 'groupId', 'supportId'] as const) {
        // A support agent legitimately sees support chats (queue, claim).
        if (who === 'support agent' && chat === 'supportId') continue;
        const real = await send(requestFor(route, f, { params: { chatId: f[chat] } }), token);
        const context = `${who} on ${chat}: real chat ${real.status} ${JSON.stringify(real.body)} vs missing ${missing.status} ${JSON.stringify(missing.body)}`;
        expect(real.status, context).toBe(missing.status);
        expect(withoutInstance(real.body), context).toEqual(withoutInstance(missing.body));
        if (roles.length === 0 || who !== 'outsider') expectProblem(real, 404, 'not_found');
        else expectProblem(real, 403, 'forbidden');
        cases++;
      }
    }
    hit.hiding.add(route.name);
  });

  it.each(chatRoutes.filter((r) => r.method === 'GET').map((r) => [`${r.name} (admin)`, r] as const))('platform admins read any chat: %s', async (_name, route) => {
    for (const chat of ['directId', 'groupId', 'supportId'] as const) {
      const res = await send(requestFor(route, f, { params: { chatId: f[chat] } }), f.admin.token);
      expect(res.status, `${chat}: ${JSON.stringify(res.body)}`).toBe(200);
      cases++;
    }
    const missing = await send(requestFor(route, f, { params: { chatId: MISSING_CHAT } }), f.admin.token);
    expectProblem(missing, 404, 'not_found');
  });

  it.each(CHAT_WS_ROUTES.map((r) => [`${r.name} ${r.routeKey}`, r] as const))('WebSocket %s', async (_name, route) => {
    const ws = await connect(stack.wsUrl, f.outsider.token);
    try {
      const strip = (frame: any) => {
        const { requestId: _r, ...rest } = frame;
        return rest;
      };
      const { action: _a, ...missingPayload } = wsFrames(f, MISSING_CHAT)[route.routeKey]!;
      const missing = await ws.request(route.routeKey, missingPayload);
      expect(missing).toMatchObject({ type: 'error', code: 'not_found' });
      for (const chat of ['directId', 'groupId', 'supportId'] as const) {
        const { action: _b, ...payload } = wsFrames(f, f[chat])[route.routeKey]!;
        const real = await ws.request(route.routeKey, payload);
        expect(strip(real), `${chat}: ${JSON.stringify(real)} vs ${JSON.stringify(missing)}`).toEqual(strip(missing));
        cases++;
      }
    } finally {
      await ws.close();
    }
    hit.hiding.add(route.name);
  });
});

describe('403 for routes with roles, for a valid user without them', () => {
  const roleRoutes = authRoutes.filter((r) => 'roles' in r && r.roles && r.roles.length > 0);
  it.each(roleRoutes.map((r) => [`${r.name} ${r.method} ${r.path} (${(r as { roles: readonly string[] }).roles.join('|')})`, r] as const))('%s', async (_name, route) => {
    const required = (route as { roles: readonly string[] }).roles;
    const lacking = (['user', 'support', 'admin'] as const).filter((role) => role === 'user' || !required.includes(role));
    for (const role of lacking) {
      const token = await mintToken(stack.baseUrl, uniqueId(`sec-role-${role}`), role === 'user' ? {} : { roles: [role] });
      const res = await send(requestFor(route, f), token);
      expectProblem(res, 403, 'forbidden');
      cases++;
    }
    // And a holder of a required role passes the role check (not 401/403 for lack of a role).
    const holder = required.includes('admin') ? f.admin : f.agent;
    const ok = await send(requestFor(route, f), holder.token);
    expect(ok.status, JSON.stringify(ok.body)).toBeLessThan(400);
    hit.roles.add(route.name);
  });
});

describe('429 with Retry-After for every route with a rate limit, past the caller\'s limit', () => {
  // Fixtures of their own: these tests fill their callers' counters.
  let g: Fixtures;
  beforeAll(async () => {
    g = await createFixtures('sec-rate');
  });
  const db = createDb({ table: stack.tableName, endpoint: stack.dynamoEndpoint, region: stack.region, credentials: stack.credentials });
  /** The stack runs with the SPEC's defaults (`functions/domain/context.ts`). */
  const LIMIT: Record<RateClass, number> = {
    messages: DEFAULT_LIMITS.messagesPerMinute,
    writes: DEFAULT_LIMITS.writesPerMinute,
    chats: DEFAULT_LIMITS.chatCreationsPerMinute,
    participants: DEFAULT_LIMITS.participantAddsPerMinute,
  };
  /** Sets the caller's counter of the current minute (waiting for a fresh minute when this one is about to end). */
  async function fill(userId: string, rate: RateClass, count: number) {
    if (60 - ((Date.now() / 1000) % 60) < 4) await new Promise((r) => setTimeout(r, (61 - ((Date.now() / 1000) % 60)) * 1000));
    const nowSeconds = Math.floor(Date.now() / 1000);
    const start = nowSeconds - (nowSeconds % 60);
    await db.client.send(new PutCommand({ TableName: stack.tableName, Item: { ...rateKey(userId, start, rate === 'messages' ? undefined : rate), count, ttl: start + 120 } }));
  }
  const limited = authRoutes.filter((r) => 'rateLimit' in r && r.rateLimit);

  it.each(limited.map((r) => [`${r.name} ${r.method} ${r.path} (${(r as { rateLimit: RateClass }).rateLimit})`, r] as const))('%s', async (_name, route) => {
    const rate = (route as { rateLimit: RateClass }).rateLimit;
    // The caller must be allowed to do it, so only the limit can refuse it; a requester without an open support chat for that route.
    const caller = route.name === 'OpenSupportChat' ? await client(uniqueId('sec-rate-requester')) : 'roles' in route && route.roles ? g.admin : g.owner;
    // Adding participants counts people: the fixture adds one (the spare), so a full counter refuses it.
    await fill(caller.id, rate, LIMIT[rate]);
    const refused = await send(requestFor(route, g), caller.token);
    expectProblem(refused, 429, 'rate_limited');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    cases++;
    if (route.name !== 'AddParticipants' && route.name !== 'OpenSupportChat' && route.name !== 'RemoveParticipant') {
      // One short of full: this call passes (and takes the last slot), the next is refused.
      await fill(caller.id, rate, LIMIT[rate] - 1);
      const passes = await send(requestFor(route, g), caller.token);
      expect(passes.status, JSON.stringify(passes.body)).not.toBe(429);
      expect(passes.status, JSON.stringify(passes.body)).toBeLessThan(500);
      expectProblem(await send(requestFor(route, g), caller.token), 429, 'rate_limited');
      cases++;
    }
    hit.rateLimits.add(route.name);
  });

  it.each(wsRoutes.filter((r) => 'rateLimit' in r && r.rateLimit).map((r) => [`WebSocket ${r.routeKey}`, r] as const))('%s', async (_name, route) => {
    const rate = (route as { rateLimit: RateClass }).rateLimit;
    const ws = await connect(stack.wsUrl, g.member.token);
    try {
      await fill(g.member.id, rate, LIMIT[rate]);
      const { action: _a, ...payload } = wsFrames(g)[route.routeKey]!;
      const answer = await ws.request(route.routeKey, payload);
      expect(answer).toMatchObject({ type: 'error', code: 'rate_limited', retryAfter: expect.any(Number) });
      cases++;
    } finally {
      await ws.close();
    }
    hit.rateLimits.add(route.name);
  });
});

describe('400 for forged cursors on every paged route', () => {
  const paged = authRoutes.filter((r) => 'paging' in r && r.paging);
  /** A DynamoDB key of the support index, as the old unsigned cursors carried it (base64url JSON). */
  const rawKey = (fx: Fixtures) => ({ PK: `CHAT#${fx.supportId}`, SK: 'META', GSI1PK: 'SUPPORT', GSI1SK: 'open#2026' });
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const forged = (fx: Fixtures, caller: string): Record<string, string> => ({
    unsignedKey: b64(rawKey(fx)),
    unsignedWrongShape: b64({ PK: { S: 'x' }, nested: [1, 2] }),
    wrongSecret: createCursorCodec('attacker-chosen-secret-0123456789abcdef').seal({ kind: 'support-queue', caller }, rawKey(fx)),
    tagOnly: '.AAAAAAAAAAAAAAAAAAAAAA',
    junk: 'not a cursor!',
    dots: 'a.b.c',
    keyword: '__proto__',
    seqLike: 'CHAT#x',
  });
  /** The caller that may use a route, and a second one that may too. */
  const callers = (route: Route) => {
    const roles = 'roles' in route && route.roles ? (route.roles as readonly string[]) : undefined;
    if (!roles) return [f.owner, f.member];
    // An admin-only route has no second caller among the fixtures: its other-caller case is left out.
    return roles.includes('support') ? [f.admin, f.agent] : [f.admin, undefined];
  };

  it.each(paged.map((r) => [`${r.name} ${r.method} ${r.path}`, r] as const))('%s', async (_name, route) => {
    const [caller, other] = callers(route);
    const paging = (route as { paging: { cursor: readonly string[]; next: string } }).paging;
    for (const param of paging.cursor) {
      for (const [kind, value] of Object.entries(forged(f, caller!.id))) {
        const res = await send(requestFor(route, f, { query: { limit: '1', [param]: value } }), caller!.token);
        expect(res.status, `${param}=${kind}: ${JSON.stringify(res.body)}`).toBe(400);
        expectProblem(res, 400, 'bad_request');
        cases++;
      }
    }
    // A real cursor pages for its caller and for nobody else; one changed character breaks it.
    const first = await send(requestFor(route, f, { query: { limit: '1' } }), caller!.token);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const next = first.body[paging.next] as string | null;
    if (paging.cursor.includes('cursor') && next) {
      const again = await send(requestFor(route, f, { query: { limit: '1', cursor: next } }), caller!.token);
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      if (other) expectProblem(await send(requestFor(route, f, { query: { limit: '1', cursor: next } }), other.token), 400, 'bad_request');
      const flipped = `${next.slice(0, 3)}${next[3] === 'A' ? 'B' : 'A'}${next.slice(4)}`;
      expectProblem(await send(requestFor(route, f, { query: { limit: '1', cursor: flipped } }), caller!.token), 400, 'bad_request');
      cases += 3;
    }
    hit.cursors.add(route.name);
  });
});

describe('coverage', () => {
  it('every route of the table was exercised by the matrix', () => {
    const expectedUnauthorized = [...authRoutes.map((r) => r.name), ...wsRoutes.filter((r) => r.routeKey !== '$disconnect').map((r) => r.name)];
    expect([...hit.unauthorized].sort()).toEqual(expectedUnauthorized.sort());
    const expectedHiding = [...authRoutes.filter((r) => paramNames(r).includes('chatId')).map((r) => r.name), ...CHAT_WS_ROUTES.map((r) => r.name)];
    expect([...hit.hiding].sort()).toEqual(expectedHiding.sort());
    const expectedRoles = authRoutes.filter((r) => 'roles' in r && r.roles).map((r) => r.name);
    expect([...hit.roles].sort()).toEqual(expectedRoles.sort());
    const expectedRateLimits = [...httpRoutes, ...wsRoutes].filter((r) => 'rateLimit' in r && r.rateLimit).map((r) => r.name);
    expect([...hit.rateLimits].sort()).toEqual(expectedRateLimits.sort());
    expect([...hit.cursors].sort()).toEqual(authRoutes.filter((r) => 'paging' in r && r.paging).map((r) => r.name).sort());
    // Every route of the table, but `/health` (no auth) and `$disconnect` (no client request), is in some matrix.
    const all = new Set([...hit.unauthorized, ...hit.hiding, ...hit.roles]);
    const publicRoutes = new Set<string>(httpRoutes.filter((r) => r.auth === 'none').map((r) => r.name));
    const untested = [...httpRoutes, ...wsRoutes].map((r) => r.name).filter((n) => !all.has(n) && !publicRoutes.has(n) && n !== 'WsDisconnect');
    expect(untested).toEqual([]);
    expect(CHAT_WS_ROUTES.map((r) => r.routeKey).sort()).toEqual(['markRead', 'sendMessage', 'typing']);
  });
});
