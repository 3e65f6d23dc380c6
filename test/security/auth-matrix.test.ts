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
 * - finally, every route of the table was exercised.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRoutes, wsRoutes } from '../../functions/routes';
import { connect, RefusedError, type WsClient } from '../support/ws-client';
import { mintToken } from '../../local/launcher';
import { uniqueId } from '../support/api';
import {
  authRoutes,
  BAD_TOKEN_KINDS,
  badTokens,
  createFixtures,
  expectProblem,
  paramNames,
  requestFor,
  routeFixtures,
  send,
  stack,
  withoutInstance,
  type BadTokenKind,
  type Fixtures,
} from './support';

let f: Fixtures;
let bad: Record<BadTokenKind, string | undefined>;
/** Route names exercised per matrix, checked at the end. */
const hit = { unauthorized: new Set<string>(), hiding: new Set<string>(), roles: new Set<string>() };
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
      cases++;
    }
    // A non-Bearer scheme and an empty Bearer are no better.
    for (const authorization of ['Basic b3duZXI6cGFzcw==', 'Bearer ', `Bearer ${f.owner.token}x`, f.owner.token]) {
      const res = await send(req, undefined, { authorization });
      expectProblem(res, 401, 'unauthorized');
      cases++;
    }
    // Control: the same request with a valid token is not refused, so the 401s above are about the token.
    const valid = await send(req, ('roles' in route && route.roles ? f.admin : f.owner).token);
    expect(valid.status, `valid token: ${JSON.stringify(valid.body)}`).not.toBe(401);
    expect(valid.status, `valid token: ${JSON.stringify(valid.body)}`).toBeLessThan(500);
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

describe('coverage', () => {
  it('every route of the table was exercised by the matrix', () => {
    const expectedUnauthorized = [...authRoutes.map((r) => r.name), ...wsRoutes.filter((r) => r.routeKey !== '$disconnect').map((r) => r.name)];
    expect([...hit.unauthorized].sort()).toEqual(expectedUnauthorized.sort());
    const expectedHiding = [...authRoutes.filter((r) => paramNames(r).includes('chatId')).map((r) => r.name), ...CHAT_WS_ROUTES.map((r) => r.name)];
    expect([...hit.hiding].sort()).toEqual(expectedHiding.sort());
    const expectedRoles = authRoutes.filter((r) => 'roles' in r && r.roles).map((r) => r.name);
    expect([...hit.roles].sort()).toEqual(expectedRoles.sort());
    // Every route of the table, but `/health` (no auth) and `$disconnect` (no client request), is in some matrix.
    const all = new Set([...hit.unauthorized, ...hit.hiding, ...hit.roles]);
    const publicRoutes = new Set<string>(httpRoutes.filter((r) => r.auth === 'none').map((r) => r.name));
    const untested = [...httpRoutes, ...wsRoutes].map((r) => r.name).filter((n) => !all.has(n) && !publicRoutes.has(n) && n !== 'WsDisconnect');
    expect(untested).toEqual([]);
    expect(CHAT_WS_ROUTES.map((r) => r.routeKey).sort()).toEqual(['markRead', 'sendMessage', 'typing']);
  });
});
