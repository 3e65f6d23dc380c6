/**
 * The contract checker the end-to-end helpers apply to every answer
 * (`test/support/contract.ts`): right answers pass, and each kind of wrong
 * answer is caught with the route and the field named. Also what the route
 * table itself says every route answers (`httpResponses`).
 */
import { describe, expect, it } from 'vitest';
import { httpResponses } from '../../functions/contract';
import { httpRoute } from '../../functions/routes';
import { checkHttp, routeOf, wsContract, type HttpExchange } from '../support/contract';

const NOW = '2026-01-02T03:04:05.000Z';
const chat = {
  id: '01JD8X3K9M2N4P5Q6R7S8T9V0W',
  type: 'direct',
  createdBy: 'alice',
  createdAt: NOW,
  updatedAt: NOW,
  lastSeq: 1,
  unreadCount: 0,
  unreadMentions: 0,
  lastReadSeq: 1,
  frozen: false,
  archived: false,
  notificationLevel: 'all',
};
const message = { id: '01JD8X3K9M2N4P5Q6R7S8T9V0W-1', chatId: chat.id, seq: 1, senderId: 'alice', type: 'text', content: 'hi', attachments: [], reactions: {}, mentions: [], createdAt: NOW, readBy: 0 };
const problem = (status: number, code: string, extra: Record<string, unknown> = {}) => ({ type: `urn:problem:chat:${code}`, title: 'T', status, detail: 'd', code, ...extra });

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Headers({ 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers });
function answer(method: string, path: string, status: number, body: unknown, headers?: Record<string, string>): HttpExchange {
  return { method, path, status, body, headers: json(status, body, headers) };
}

describe('HTTP answers', () => {
  const getChat = (status: number, body: unknown, headers?: Record<string, string>) => checkHttp(answer('GET', `/v1/chats/${chat.id}?x=1`, status, body, headers));

  it('passes answers the route table documents: success, listed 2xx replays, problems, API Gateway\'s own', () => {
    expect(getChat(200, { chat })).toBeUndefined();
    expect(checkHttp(answer('POST', `/v1/chats/${chat.id}/messages`, 201, { message }))).toBeUndefined();
    expect(checkHttp(answer('POST', `/v1/chats/${chat.id}/messages`, 200, { message }))).toBeUndefined();
    expect(checkHttp(answer('POST', `/v1/chats/${chat.id}/messages`, 429, problem(429, 'rate_limited', { retryAfter: 30 }), { 'retry-after': '30' }))).toBeUndefined();
    expect(getChat(404, problem(404, 'not_found', { instance: `/v1/chats/${chat.id}` }))).toBeUndefined();
    expect(getChat(503, { message: 'Service Unavailable' }, { 'content-type': 'application/json' })).toBeUndefined();
    expect(checkHttp(answer('DELETE', `/v1/chats/${chat.id}/participants/bob`, 204, undefined))).toBeUndefined();
    const health = { status: 'degraded', timestamp: NOW, version: '1', checks: { dynamodb: 'unreachable' } };
    expect(checkHttp(answer('GET', '/health?deep=1', 503, health, { 'content-type': 'application/json' }))).toBeUndefined();
    expect(checkHttp(answer('GET', '/nowhere', 404, { message: 'Not Found' }, { 'content-type': 'application/json' }))).toBeUndefined();
  });

  it('names the route and the field of a wrong, missing or undocumented field', () => {
    expect(getChat(200, { chat: { ...chat, lastSeq: 'one' } })).toMatch(/^GET \/v1\/chats\/\{chatId\} \(GetChat\) answered 200: body\.chat\.lastSeq: .*number/);
    const { archived: _, ...withoutArchived } = chat;
    expect(getChat(200, { chat: withoutArchived })).toContain('body.chat.archived');
    expect(getChat(200, { chat: { ...chat, secret: 'x' } })).toContain('body.chat.secret is not in the documented schema');
    expect(checkHttp(answer('GET', `/v1/chats/${chat.id}/messages`, 200, { messages: [{ ...message, extra: 1 }], nextCursor: null, hasMore: false }))).toContain(
      'body.messages[0].extra is not in the documented schema',
    );
  });

  it('catches a status the route does not list, and a 2xx the route table does not allow', () => {
    expect(getChat(409, problem(409, 'conflict'))).toMatch(/GetChat\) answered 409, a status the route table does not list/);
    // The 200 replay exists for sends, not for edits.
    expect(checkHttp(answer('PATCH', `/v1/chats/${chat.id}/messages/m`, 201, { message }))).toContain('EditMessage) answered 201, a status');
    expect(checkHttp(answer('DELETE', `/v1/chats/${chat.id}/participants/bob`, 204, { ok: true }))).toContain('with a body, where it documents none');
  });

  it('catches problems that are not RFC 9457 problem+json with a SPEC code', () => {
    expect(getChat(404, problem(404, 'not_found'), { 'content-type': 'application/json' })).toContain('content-type is application/json, not application/problem+json');
    expect(getChat(404, problem(404, 'gone'))).toContain('body.code');
    expect(getChat(404, problem(400, 'not_found'))).toContain('body.status is 400, not the HTTP status');
    expect(getChat(404, { ...problem(404, 'not_found'), type: 'about:blank' })).toContain('body.type');
    expect(getChat(404, { ...problem(404, 'not_found'), stack: 'at …' })).toContain('body.stack is not in the documented schema');
    expect(checkHttp(answer('POST', `/v1/chats/${chat.id}/messages`, 429, problem(429, 'rate_limited', { retryAfter: 30 })))).toContain('Retry-After');
    expect(getChat(401, problem(401, 'unauthorized'))).toContain('WWW-Authenticate');
    expect(getChat(503, { message: 'Service Unavailable', code: 'internal' }, { 'content-type': 'application/json' })).toContain('body.code is not in the documented schema');
  });

  it('finds the route as API Gateway does: literal segments win', () => {
    expect(routeOf('POST', '/v1/chats/support')?.name).toBe('OpenSupportChat');
    expect(routeOf('POST', '/v1/chats')?.name).toBe('CreateChat');
    expect(routeOf('GET', '/v1/chats/abc')?.name).toBe('GetChat');
    expect(routeOf('PUT', '/v1/chats')).toBeUndefined();
  });
});

describe('what the route table says each route answers', () => {
  it('adds the statuses every route of its kind shares to the route\'s own', () => {
    const send = httpResponses(httpRoute('SendMessage'));
    expect([...send.keys()]).toEqual([200, 201, 400, 401, 403, 404, 409, 413, 415, 429, 500, 503]);
    expect(send.get(429)!.bodies.map((b) => b.kind)).toEqual(['problem', 'gateway']);
    expect(send.get(413)!.bodies.map((b) => b.kind)).toEqual(['gateway']);
    expect(send.get(200)!.description).toContain('clientMessageId');
    expect([...httpResponses(httpRoute('GetMe')).keys()]).toEqual([200, 401, 403, 429, 500, 503]);
    expect([...httpResponses(httpRoute('Health')).keys()]).toEqual([200, 400, 429, 500, 503]);
    expect(httpResponses(httpRoute('Health')).get(503)!.bodies.map((b) => b.kind)).toEqual(['json', 'gateway']);
    expect(httpResponses(httpRoute('RemoveParticipant')).get(204)!.bodies).toEqual([]);
    expect(httpResponses(httpRoute('SupportQueue')).get(403)!.description).toContain('support or admin');
  });
});

describe('WebSocket frames', () => {
  const message = { id: 'm-1', chatId: chat.id, seq: 1, senderId: 'alice', type: 'text', content: 'hi', attachments: [], reactions: {}, mentions: [], createdAt: NOW, readBy: 0 };

  it('passes answers to the actions sent and documented events', () => {
    const c = wsContract();
    c.sent({ action: 'sendMessage', requestId: 'r1', chatId: chat.id, content: 'hi' });
    expect(c.received({ type: 'ack', requestId: 'r1', message, replayed: false })).toBeUndefined();
    c.sent(JSON.stringify({ action: 'ping' }));
    expect(c.received({ type: 'pong' })).toBeUndefined();
    c.sent({ action: 'fly', requestId: 7 });
    expect(c.received({ type: 'error', requestId: 7, code: 'bad_request', detail: 'Unknown action "fly".', message: 'Unknown action "fly".' })).toBeUndefined();
    expect(c.received({ type: 'message.new', chatId: chat.id, message, at: NOW })).toBeUndefined();
    expect(c.received({ message: 'Internal server error', connectionId: 'c', requestId: 'apigw' })).toBeUndefined();
  });

  it('checks an answer against the action it answers, naming the route and the field', () => {
    const c = wsContract();
    c.sent({ action: 'sendMessage', requestId: 'r1', chatId: chat.id, content: 'hi' });
    expect(c.received({ type: 'ack', requestId: 'r1', replayed: false })).toMatch(/^WebSocket sendMessage \(WsSendMessage\) answered ack: frame\.message/);
    c.sent({ action: 'markRead', requestId: 'r2', chatId: chat.id });
    expect(c.received({ type: 'ack', requestId: 'r2', lastReadSeq: 1, unreadCount: 0, chat })).toContain('frame.chat is not in the documented schema');
    c.sent({ action: 'typing', requestId: 'r3', chatId: chat.id, isTyping: true });
    expect(c.received({ type: 'pong', requestId: 'r3' })).toContain('WebSocket typing (WsTyping) answered pong, which it does not answer');
    c.sent({ action: 'ping', requestId: 'r4' });
    expect(c.received({ type: 'error', requestId: 'r4', code: 'bad_request', message: 'no detail' })).toContain('frame.detail');
    expect(c.received({ type: 'ack', requestId: 'never-sent' })).toContain('which no frame sent on this connection carries');
    expect(c.received({ type: 'ack' })).toContain('without a requestId');
  });

  it('catches undocumented events and fields', () => {
    const c = wsContract();
    expect(c.received({ type: 'message.exploded', chatId: chat.id })).toContain('a type ServerEvents does not document');
    expect(c.received({ type: 'typing', chatId: chat.id, userId: 'bob', isTyping: 'yes' })).toContain('WebSocket event typing: frame.isTyping');
    expect(c.received({ type: 'presence', userId: 'bob', online: true, device: 'x' })).toContain('frame.device is not in the documented schema');
    expect(c.received('not json')).toContain('not a JSON object');
    expect(c.received({ message: 'x' })).toContain('frame.connectionId');
  });
});
