/**
 * Shared helpers of the security suite (`test/security`): real fixtures on the
 * run's local stack, request building from the route table, and hand-made bad
 * tokens.
 *
 * Every HTTP route of `functions/routes.ts` (but `/health`) needs an entry in
 * {@link routeFixtures}; {@link requestFor} throws for a route without one, so
 * a new route fails the matrix until it gets a fixture.
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { expect, inject } from 'vitest';
import { httpRoutes, type HttpRoute } from '../../functions/routes';
import { call, client, uniqueId, type Answer, type TestUser } from '../support/api';
import { mintToken } from '../../local/launcher';

export const stack = inject('stack');

export type Route = (typeof httpRoutes)[number];
export const authRoutes: readonly Route[] = httpRoutes.filter((r) => r.auth !== 'none');

// ------------------------------------------------------------------ fixtures

export interface Fixtures {
  /** Group owner; requester of the support chat; author of `messageId`. */
  owner: TestUser;
  /** Member of the direct and the group chat. */
  member: TestUser;
  /** A valid user in no fixture chat. */
  outsider: TestUser;
  admin: TestUser;
  agent: TestUser;
  /** A group member that routes may remove (RemoveParticipant). */
  removable: TestUser;
  /** A user in no chat, that routes may add (AddParticipants). */
  spare: TestUser;
  /** Users only the erasure routes touch (EraseUser's target; EraseMe's caller, once): erasing anyone else would break the other fixtures. */
  erasable: TestUser;
  selfErasing: TestUser;
  /** A user in no chat, that routes may ban from the group (BanFromChat). */
  bannable: TestUser;
  directId: string;
  groupId: string;
  supportId: string;
  /** A message of the owner in the group chat. */
  messageId: string;
  messageSeq: number;
  attachmentId: string;
  /** The member's report of `messageId` (SPEC §9). */
  reportId: string;
}

export async function createFixtures(prefix: string): Promise<Fixtures> {
  const [owner, member, outsider, admin, agent, removable, spare, bannable] = await Promise.all([
    client(uniqueId(`${prefix}-owner`)),
    client(uniqueId(`${prefix}-member`)),
    client(uniqueId(`${prefix}-outsider`)),
    client(uniqueId(`${prefix}-admin`), { roles: ['admin'] }),
    client(uniqueId(`${prefix}-agent`), { roles: ['support'] }),
    client(uniqueId(`${prefix}-removable`)),
    client(uniqueId(`${prefix}-spare`)),
    client(uniqueId(`${prefix}-bannable`)),
  ]);
  const [erasable, selfErasing] = await Promise.all([client(uniqueId(`${prefix}-erasable`)), client(uniqueId(`${prefix}-self-erasing`))]);
  const direct = await owner.post('/v1/chats', { type: 'direct', participantIds: [member.id] });
  expect(direct.status, JSON.stringify(direct.body)).toBe(201);
  const group = await owner.post('/v1/chats', { type: 'group', participantIds: [member.id, removable.id], title: 'security group' });
  expect(group.status, JSON.stringify(group.body)).toBe(201);
  const support = await owner.post('/v1/chats/support', { subject: 'security help' });
  expect([200, 201], JSON.stringify(support.body)).toContain(support.status);
  const groupId = group.body.chat.id as string;
  const message = await owner.post(`/v1/chats/${groupId}/messages`, { content: 'hello security' });
  expect(message.status, JSON.stringify(message.body)).toBe(201);
  const attachment = await owner.post(`/v1/chats/${groupId}/attachments`, { filename: 'a.png', contentType: 'image/png', size: 16 });
  expect(attachment.status, JSON.stringify(attachment.body)).toBe(201);
  const report = await member.post(`/v1/chats/${groupId}/messages/${message.body.message.id}/reports`, { reason: 'spam' });
  expect(report.status, JSON.stringify(report.body)).toBe(201);
  return {
    owner,
    member,
    outsider,
    admin,
    agent,
    removable,
    spare,
    erasable,
    selfErasing,
    bannable,
    directId: direct.body.chat.id,
    groupId,
    supportId: support.body.chat.id,
    messageId: message.body.message.id,
    messageSeq: message.body.message.seq,
    attachmentId: attachment.body.attachment.id,
    reportId: report.body.report.id,
  };
}

// ------------------------------------------------------------------ requests per route

export interface RouteFixture {
  /** Path parameters; `chatId` defaults to the group chat. */
  params?: (f: Fixtures) => Record<string, string>;
  query?: (f: Fixtures) => Record<string, string>;
  /** A minimal valid body (checked against the route's body schema). */
  body?: (f: Fixtures) => unknown;
  /** Who makes the valid control requests (default: the owner, or the admin for routes with roles). */
  caller?: (f: Fixtures) => TestUser;
}

/** The caller of a route's valid control request (see `RouteFixture.caller`). */
export function validCaller(route: { name: string; roles?: readonly string[] }, f: Fixtures): TestUser {
  return routeFixtures[route.name]?.caller?.(f) ?? (route.roles && route.roles.length > 0 ? f.admin : f.owner);
}

/**
 * One entry per route name. A route missing here fails every test that
 * builds a request for it (see {@link requestFor}): add a fixture when you add a route.
 */
export const routeFixtures: Record<string, RouteFixture> = {
  Health: { query: () => ({ deep: '1' }) },
  Docs: { query: () => ({ api: 'websocket' }) },
  GetMe: {},
  PutUser: { params: () => ({ userId: uniqueId('sec-provisioned') }), body: () => ({ name: 'Provisioned' }) },
  GetUser: { params: (f) => ({ userId: f.member.id }) },
  CreateChat: { body: (f) => ({ type: 'group', participantIds: [f.member.id], title: 'matrix' }) },
  ListChats: { query: () => ({ limit: '5' }) },
  GetChat: {},
  ListMessages: { query: () => ({ limit: '10' }) },
  SendMessage: { body: () => ({ content: 'matrix message' }) },
  EditMessage: { params: (f) => ({ messageId: f.messageId }), body: () => ({ content: 'edited' }) },
  DeleteMessage: { params: (f) => ({ messageId: f.messageId }) },
  AddReaction: { params: (f) => ({ messageId: f.messageId, reaction: 'like' }) },
  RemoveReaction: { params: (f) => ({ messageId: f.messageId, reaction: 'like' }) },
  MarkRead: { body: (f) => ({ upToSeq: f.messageSeq }) },
  CreateAttachment: { body: () => ({ filename: 'b.pdf', contentType: 'application/pdf', size: 10 }) },
  GetStats: {},
  Sync: { query: () => ({ limit: '50' }) },
  UpdateChat: { body: () => ({ title: 'renamed' }) },
  ArchiveChat: { body: () => ({ archived: false }) },
  AddParticipants: { body: (f) => ({ userIds: [f.spare.id] }) },
  RemoveParticipant: { params: (f) => ({ userId: f.removable.id }) },
  AssignChat: { params: (f) => ({ chatId: f.supportId }), body: (f) => ({ agentId: f.agent.id }) },
  OpenSupportChat: { body: () => ({ subject: 'matrix' }) },
  SendToUser: { body: (f) => ({ to: f.member.id, content: 'matrix direct' }) },
  SupportQueue: { query: () => ({ limit: '5' }) },
  SupportStats: {},
  BlockUser: { params: (f) => ({ userId: f.outsider.id }) },
  UnblockUser: { params: (f) => ({ userId: f.outsider.id }) },
  ListBlocks: {},
  ReportMessage: { params: (f) => ({ messageId: f.messageId }), body: () => ({ reason: 'spam' }) },
  ListReports: { query: () => ({ limit: '5' }) },
  // The admin dismissing the fixture report; repeating it is idempotent (200).
  ResolveReport: { params: (f) => ({ reportId: f.reportId }), body: () => ({ status: 'dismissed' }) },
  BanFromChat: { body: (f) => ({ userId: f.bannable.id, reason: 'matrix' }) },
  ListChatBans: {},
  UnbanFromChat: { params: (f) => ({ userId: f.bannable.id }) },
  SetNotificationLevel: { body: () => ({ level: 'mentions' }) },
  ListDevices: {},
  PinMessage: { params: (f) => ({ messageId: f.messageId }) },
  UnpinMessage: { params: (f) => ({ messageId: f.messageId }) },
  ListPins: {},
  RegisterDevice: { params: () => ({ deviceId: 'sec-device' }), body: () => ({ platform: 'fcm', token: `sec-${uniqueId('token')}`.replace(/[^A-Za-z0-9_:.-]/g, '').padEnd(40, 'x') }) },
  GetDevice: { params: () => ({ deviceId: 'sec-device' }) },
  DeleteDevice: { params: () => ({ deviceId: 'sec-device' }) },
  // Erasures touch nobody the other fixtures use: the `erasable` user only (the same erasure each time).
  EraseUser: { params: (f) => ({ userId: f.erasable.id }) },
  EraseMe: { caller: (f) => f.selfErasing },
  GetErasure: { params: () => ({ erasureId: '01JAAAAAAAAAAAAAAAAAAAAAAA' }) },
  ExportMe: {},
  ExportUser: { params: (f) => ({ userId: f.member.id }) },
  GetExport: { params: () => ({ exportId: '01JAAAAAAAAAAAAAAAAAAAAAAA' }) },
};

export interface BuiltRequest {
  method: string;
  path: string;
  body?: unknown;
  params: Record<string, string>;
  query: Record<string, string>;
}

export function paramNames(route: HttpRoute): string[] {
  return [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
}

/** Fills `{param}` segments (URL-encoded) and appends the query. */
export function buildPath(template: string, params: Record<string, string>, query: Record<string, string> = {}): string {
  const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`No value for {${name}} in ${template}`);
    return encodeURIComponent(value);
  });
  const qs = new URLSearchParams(query).toString();
  return qs ? `${path}?${qs}` : path;
}

export function requestFor(route: Route, f: Fixtures, overrides: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {}): BuiltRequest {
  const fixture = routeFixtures[route.name];
  if (!fixture) throw new Error(`Route ${route.name} (${route.method} ${route.path}) has no entry in test/security/support.ts routeFixtures: add one`);
  const params: Record<string, string> = { ...(paramNames(route).includes('chatId') ? { chatId: f.groupId } : {}), ...fixture.params?.(f), ...overrides.params };
  const query = { ...fixture.query?.(f), ...overrides.query };
  const body = 'body' in overrides ? overrides.body : fixture.body?.(f);
  return { method: route.method, path: buildPath(route.path, params, query), body, params, query };
}

export function send(req: BuiltRequest, token?: string, headers?: Record<string, string>): Promise<Answer> {
  return call(stack, req.method, req.path, { token, body: req.body, headers });
}

/** The body without `instance` (it names the request path, which legitimately differs). */
export function withoutInstance(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  const { instance: _instance, ...rest } = body as Record<string, unknown>;
  return rest;
}

export function expectProblem(res: Answer, status?: number, code?: string) {
  const describe = `${res.status} ${JSON.stringify(res.body)?.slice(0, 500)}`;
  if (status !== undefined) expect(res.status, describe).toBe(status);
  expect(res.headers.get('content-type') ?? '', describe).toContain('application/problem+json');
  expect(res.body, describe).toMatchObject({ type: expect.any(String), title: expect.any(String), status: res.status, detail: expect.any(String), code: expect.any(String) });
  if (code !== undefined) expect(res.body.code, describe).toBe(code);
}

/** Issue 13 item 18: the security headers every answer of the functions carries (`functions/lib/security-headers.ts`). */
export function expectSecurityHeaders(res: Answer, authenticated = true) {
  const describe = `${res.status} headers`;
  expect(res.headers.get('strict-transport-security'), describe).toMatch(/^max-age=\d{8,}; includeSubDomains$/);
  expect(res.headers.get('x-content-type-options'), describe).toBe('nosniff');
  expect(res.headers.get('content-security-policy'), describe).toMatch(/default-src 'none'/);
  expect(res.headers.get('content-security-policy'), describe).toMatch(/frame-ancestors 'none'/);
  expect(res.headers.get('referrer-policy'), describe).toBe('no-referrer');
  if (authenticated) expect(res.headers.get('cache-control'), describe).toBe('no-store');
}

// ------------------------------------------------------------------ bad tokens

export type BadTokenKind = 'none' | 'malformed' | 'expired' | 'wrongIssuer' | 'wrongAudience' | 'badSignature' | 'tamperedPayload' | 'algNone' | 'noExpiry' | 'futureIat';
/** `noExpiry` and `futureIat` (issue 13 item 12) are signed by the real issuer: only the claim is wrong. */
export const BAD_TOKEN_KINDS: readonly BadTokenKind[] = ['none', 'malformed', 'expired', 'wrongIssuer', 'wrongAudience', 'badSignature', 'tamperedPayload', 'algNone', 'noExpiry', 'futureIat'];

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * One token per kind (`none` → undefined), all for `sub = userId`, a user
 * that exists in the directory, so only the token's defect can refuse it.
 */
export async function badTokens(userId: string): Promise<Record<BadTokenKind, string | undefined>> {
  const issuer = `${stack.baseUrl}/dev`;
  const audience = 'chat-local';
  const jwks = (await (await fetch(`${issuer}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  const realKid = jwks.keys[0]!.kid;
  const { privateKey } = await generateKeyPair('RS256');
  const now = Math.floor(Date.now() / 1000);
  const sign = (claims: { iss: string; aud: string; kid: string }) =>
    new SignJWT({ name: 'Mallory', roles: ['admin'] })
      .setProtectedHeader({ alg: 'RS256', kid: claims.kid, typ: 'JWT' })
      .setIssuer(claims.iss)
      .setAudience(claims.aud)
      .setSubject(userId)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .setJti(randomUUID())
      .sign(privateKey);

  const good = await mintToken(stack.baseUrl, userId);
  const [header, payload, signature] = good.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const tampered = `${header}.${b64url({ ...claims, roles: ['admin'] })}.${signature}`;
  const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ ...claims, roles: ['admin'] })}.`;

  return {
    none: undefined,
    malformed: 'not-a.jwt',
    expired: await mintToken(stack.baseUrl, userId, { expiresIn: -3600 }),
    wrongIssuer: await sign({ iss: 'https://evil.example.com/dev', aud: audience, kid: realKid }),
    wrongAudience: await sign({ iss: issuer, aud: 'someone-else', kid: realKid }),
    badSignature: await sign({ iss: issuer, aud: audience, kid: realKid }),
    tamperedPayload: tampered,
    algNone: unsigned,
    noExpiry: await mintToken(stack.baseUrl, userId, { noExpiry: true }),
    futureIat: await mintToken(stack.baseUrl, userId, { issuedIn: 3600 }),
  };
}

/** `{"a":[{"a":…1…}]}` of `depth` levels, built as text (JSON.stringify overflows the stack on very deep values). */
export const nestedText = (depth: number) => {
  let open = '';
  let close = '';
  for (let i = depth - 1; i >= 0; i--) {
    open += i % 2 ? '[' : '{"a":';
    close = (i % 2 ? ']' : '}') + close;
  }
  return `${open}1${close}`;
};
