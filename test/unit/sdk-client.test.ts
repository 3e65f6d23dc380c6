/**
 * The SDK's HTTP side: its generated surface matches the route table (so
 * client and server cannot drift; the types are checked in `sdk-types.test.ts`),
 * and ChatClient builds requests, maps problems to ChatApiError and retries
 * only what is safe to retry.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { httpRoutes } from '../../functions/routes';
import { GENERATED_PATH, generateSdkSource } from '../../scripts/generate-sdk';
import { ChatApiError, ChatClient, routes, type RouteInfo } from '../../sdk/src/index';

describe('generated SDK surface', () => {
  it('is up to date with the route table (run `npm run sdk:generate` after changing routes or schemas)', async () => {
    expect(await readFile(GENERATED_PATH, 'utf8')).toBe(await generateSdkSource());
  }, 30_000);

  it('has one method per HTTP route, with the route\'s method and path', () => {
    const client = new ChatClient({ baseUrl: 'http://x' });
    for (const route of httpRoutes) {
      const name = route.name.charAt(0).toLowerCase() + route.name.slice(1);
      expect(routes[name as keyof typeof routes], name).toEqual({
        method: route.method,
        path: route.path,
        auth: route.auth,
        status: route.response.status,
        ...('idempotencyKey' in route ? { idempotencyKey: route.idempotencyKey } : {}),
        ...('paging' in route ? { paging: route.paging } : {}),
      });
      expect(typeof (client as unknown as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(Object.keys(routes)).toHaveLength(httpRoutes.length);
  });
});

interface Recorded {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: any;
}

/** A fetch that records requests and answers from a script (one entry per call; the last repeats). */
function scriptedFetch(answers: (Response | Error | (() => Response))[]) {
  const calls: Recorded[] = [];
  const fetch = async (url: string | URL | Request, init: RequestInit = {}) => {
    calls.push({ url: String(url), method: init.method ?? 'GET', headers: init.headers as Record<string, string>, body: init.body === undefined ? undefined : typeof init.body === 'string' ? JSON.parse(init.body) : init.body });
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)]!;
    if (answer instanceof Error) throw answer;
    return typeof answer === 'function' ? answer() : answer.clone();
  };
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers } });
const problem = (status: number, code: string, headers: Record<string, string> = {}) => json(status, { type: `https://chat/errors/${code}`, title: code, status, detail: `${code} detail`, code }, headers);

describe('ChatClient requests', () => {
  it('expands and encodes path parameters, serializes the query and sends the current token', async () => {
    const { calls, fetch } = scriptedFetch([json(200, { messages: [], nextCursor: null, hasMore: false })]);
    let token = 'one';
    const api = new ChatClient({ baseUrl: 'http://chat.test/', token: () => token, fetch });
    await api.listMessages('c/1?', { after: 5, limit: 20, q: undefined });
    token = 'two';
    await api.addReaction('c1', 'm1', '👍');
    expect(calls[0]).toMatchObject({ url: 'http://chat.test/v1/chats/c%2F1%3F/messages?after=5&limit=20', method: 'GET', headers: { authorization: 'Bearer one' } });
    expect(calls[1]).toMatchObject({ url: 'http://chat.test/v1/chats/c1/messages/m1/reactions/%F0%9F%91%8D', method: 'PUT', headers: { authorization: 'Bearer two' } });
  });

  it('sends no token to public routes and refuses private ones without a token', async () => {
    const { calls, fetch } = scriptedFetch([json(200, { status: 'ok', timestamp: 't', version: '1' })]);
    const api = new ChatClient({ baseUrl: 'http://chat.test', fetch });
    await expect(api.health()).resolves.toMatchObject({ status: 'ok' });
    expect(calls[0]!.headers.authorization).toBeUndefined();
    await expect(api.getMe()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    expect(calls).toHaveLength(1);
  });

  it('turns a problem+json answer into a ChatApiError with its fields', async () => {
    const { fetch } = scriptedFetch([json(403, { type: 'https://chat/errors/edit_window_expired', title: 'Forbidden', status: 403, detail: 'too late', code: 'edit_window_expired' })]);
    const api = new ChatClient({ baseUrl: 'http://chat.test', token: 't', fetch });
    const error = await api.editMessage('c1', 'm1', { content: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatApiError);
    expect(error).toMatchObject({ status: 403, code: 'edit_window_expired', title: 'Forbidden', detail: 'too late' });
  });

  it('retries a GET after 503 and a network failure, then succeeds', async () => {
    const { calls, fetch } = scriptedFetch([problem(503, 'internal', { 'retry-after': '0' }), new TypeError('fetch failed'), json(200, { user: { id: 'u' } })]);
    const api = new ChatClient({ baseUrl: 'http://chat.test', token: 't', fetch, retryBaseMs: 1 });
    await expect(api.getMe()).resolves.toEqual({ user: { id: 'u' } });
    expect(calls).toHaveLength(3);
  });

  it('gives up after `retries` and reports the last error', async () => {
    const { calls, fetch } = scriptedFetch([problem(503, 'internal', { 'retry-after': '0' })]);
    const api = new ChatClient({ baseUrl: 'http://chat.test', token: 't', fetch, retries: 1, retryBaseMs: 1 });
    await expect(api.getChat('c1')).rejects.toMatchObject({ status: 503, retryAfterSeconds: 0 });
    expect(calls).toHaveLength(2);
  });

  it('makes sends idempotent: fills clientMessageId and resends the same one after a 503', async () => {
    const { calls, fetch } = scriptedFetch([problem(503, 'internal', { 'retry-after': '0' }), json(201, { message: { id: 'm1' } })]);
    const api = new ChatClient({ baseUrl: 'http://chat.test', token: 't', fetch, retryBaseMs: 1 });
    await api.sendMessage('c1', { content: 'hi' });
    expect(calls).toHaveLength(2);
    expect(calls[0]!.body).toEqual({ content: 'hi', clientMessageId: expect.any(String) });
    expect(calls[1]!.body.clientMessageId).toBe(calls[0]!.body.clientMessageId);
    await api.sendMessage('c1', { content: 'mine', clientMessageId: 'keep' });
    expect(calls[2]!.body.clientMessageId).toBe('keep');
  });

  it('retries a send answered 409 (its first attempt still being stored) and gets the first message', async () => {
    const { calls, fetch } = scriptedFetch([problem(409, 'conflict', { 'retry-after': '0' }), json(200, { message: { id: 'm1' } })]);
    const api = new ChatClient({ baseUrl: 'http://chat.test', token: 't', fetch, retryBaseMs: 1 });
    await expect(api.sendMessage('c1', { content: 'hi' })).resolves.toEqual({ message: { id: 'm1' } });
    expect(calls[1]!.body.clientMessageId).toBe(calls[0]!.body.clientMessageId);
    // Other 409s are answers, not retried.
    const other = scriptedFetch([problem(409, 'conflict')]);
    const api2 = new ChatClient({ baseUrl: 'http://chat.test', token: 't', fetch: other.fetch, retryBaseMs: 1 });
    await expect(api2.createChat({ type: 'direct', participantIds: ['b'], context: { type: 'order', id: '1' } })).rejects.toMatchObject({ status: 409 });
    expect(other.calls).toHaveLength(1);
  });

  it('takes which requests are idempotent from the route table\'s idempotencyKey, not from the path', async () => {
    class Probe extends ChatClient {
      call(route: RouteInfo, body: object) {
        return this.request(route, {}, { body });
      }
    }
    const { calls, fetch } = scriptedFetch([problem(503, 'internal', { 'retry-after': '0' }), json(201, { ok: true })]);
    const api = new Probe({ baseUrl: 'http://chat.test', token: 't', fetch, retryBaseMs: 1 });
    await api.call({ method: 'POST', path: '/v1/orders', auth: 'user', status: 201, idempotencyKey: 'orderKey' }, { item: 1 });
    expect(calls).toHaveLength(2);
    expect(calls[0]!.body).toEqual({ item: 1, orderKey: expect.any(String) });
    expect(calls[1]!.body.orderKey).toBe(calls[0]!.body.orderKey);
    // A POST to a path ending in /messages is not a send unless the table says so.
    const plain = scriptedFetch([problem(503, 'internal', { 'retry-after': '0' })]);
    const api2 = new Probe({ baseUrl: 'http://chat.test', token: 't', fetch: plain.fetch, retryBaseMs: 1 });
    await expect(api2.call({ method: 'POST', path: '/v1/chats/c1/messages', auth: 'user', status: 201 }, { content: 'x' })).rejects.toMatchObject({ status: 503 });
    expect(plain.calls).toHaveLength(1);
    expect(plain.calls[0]!.body).toEqual({ content: 'x' });
  });

  it('pages through a paged route with the route table\'s paging: nextCursor back as the cursor parameter', async () => {
    const chats = scriptedFetch([json(200, { chats: [{ id: 'a' }], nextCursor: 'n1' }), json(200, { chats: [{ id: 'b' }], nextCursor: null })]);
    const api = new ChatClient({ baseUrl: 'http://chat.test', token: 't', fetch: chats.fetch });
    const pages = [];
    for await (const page of api.listChatsPages({ limit: 1 })) pages.push(page.chats.map((c) => c.id));
    expect(pages).toEqual([['a'], ['b']]);
    expect(chats.calls.map((c) => c.url)).toEqual(['http://chat.test/v1/chats?limit=1', 'http://chat.test/v1/chats?limit=1&cursor=n1']);
    // Messages page older with `before` by default, newer with `after` when the first request used it.
    const forward = scriptedFetch([json(200, { messages: [], nextCursor: '7', hasMore: true }), json(200, { messages: [], nextCursor: null, hasMore: false })]);
    const api2 = new ChatClient({ baseUrl: 'http://chat.test', token: 't', fetch: forward.fetch });
    for await (const _page of api2.listMessagesPages('c1', { after: 3 })) void _page;
    expect(forward.calls.map((c) => c.url)).toEqual(['http://chat.test/v1/chats/c1/messages?after=3', 'http://chat.test/v1/chats/c1/messages?after=7']);
    const backward = scriptedFetch([json(200, { messages: [], nextCursor: '4', hasMore: true }), json(200, { messages: [], nextCursor: null, hasMore: false })]);
    const api3 = new ChatClient({ baseUrl: 'http://chat.test', token: 't', fetch: backward.fetch });
    for await (const _page of api3.listMessagesPages('c1')) void _page;
    expect(backward.calls.map((c) => c.url)).toEqual(['http://chat.test/v1/chats/c1/messages', 'http://chat.test/v1/chats/c1/messages?before=4']);
  });

  it('never retries non-idempotent requests or a 429', async () => {
    const busy = scriptedFetch([problem(503, 'internal', { 'retry-after': '0' })]);
    const api = new ChatClient({ baseUrl: 'http://chat.test', token: 't', fetch: busy.fetch, retryBaseMs: 1 });
    await expect(api.createChat({ type: 'group', title: 'g', participantIds: ['b'] })).rejects.toMatchObject({ status: 503 });
    expect(busy.calls).toHaveLength(1);

    const limited = scriptedFetch([problem(429, 'rate_limited', { 'retry-after': '30' })]);
    const api2 = new ChatClient({ baseUrl: 'http://chat.test', token: 't', fetch: limited.fetch, retryBaseMs: 1 });
    await expect(api2.sendMessage('c1', { content: 'x' })).rejects.toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: 30 });
    expect(limited.calls).toHaveLength(1);
  });

  it('uploads an attachment: reserves it, then PUTs the bytes to the presigned URL with its headers', async () => {
    const reserved = {
      attachment: { id: 'a1', filename: 'p.png', contentType: 'image/png', size: 3, kind: 'image', status: 'pending' },
      upload: { method: 'PUT', url: 'http://s3.test/bucket/pending/c1/a1?X-Amz-Signature=abc', headers: { 'content-type': 'image/png' } },
      expiresAt: '2026-01-01T00:00:00.000Z',
    };
    const { calls, fetch } = scriptedFetch([json(201, reserved), new Response(null, { status: 200 })]);
    const api = new ChatClient({ baseUrl: 'http://chat.test', token: 't', fetch });
    const bytes = new Uint8Array([1, 2, 3]);
    await expect(api.uploadAttachment('c1', bytes, { filename: 'p.png', contentType: 'image/png' })).resolves.toMatchObject({ id: 'a1' });
    expect(calls[0]).toMatchObject({ url: 'http://chat.test/v1/chats/c1/attachments', method: 'POST', body: { filename: 'p.png', contentType: 'image/png', size: 3 } });
    expect(calls[1]).toMatchObject({ url: reserved.upload.url, method: 'PUT', headers: { 'content-type': 'image/png' } });
    expect(calls[1]!.body).toBe(bytes);
  });

  it('reports a failed upload as upload_failed', async () => {
    const reserved = { attachment: { id: 'a1' }, upload: { method: 'PUT', url: 'http://s3.test/x', headers: {} }, expiresAt: 'x' };
    const { fetch } = scriptedFetch([json(201, reserved), new Response('denied', { status: 403 })]);
    const api = new ChatClient({ baseUrl: 'http://chat.test', token: 't', fetch });
    await expect(api.uploadAttachment('c1', new Blob(['abc']), { filename: 'a', contentType: 'image/png' })).rejects.toMatchObject({ status: 403, code: 'upload_failed' });
  });
});

describe('ChatClient success responses', () => {
  it('reports the status and headers of each success to the per-call and the client-wide hook', async () => {
    const { fetch } = scriptedFetch([json(200, { chat: { id: 'c1' } }, { 'x-request-id': 'r1' })]);
    const seen: number[] = [];
    const api = new ChatClient({ baseUrl: 'http://chat.test', token: 't', fetch, onResponse: (r) => seen.push(r.status) });
    let requestId: string | null = null;
    const found = await api.createChat({ type: 'direct', participantIds: ['b'] }, { onResponse: (r) => (requestId = r.headers.get('x-request-id')) });
    expect(found).toEqual({ chat: { id: 'c1' } });
    expect(seen).toEqual([200]);
    expect(requestId).toBe('r1');
  });
});
