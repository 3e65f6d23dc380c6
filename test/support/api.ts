/**
 * Test users for end-to-end tests against the local gateway:
 * `const alice = await client('alice')`, then
 * - `alice.api` / `alice.socket()`: the client SDK (`sdk/`), as applications use it;
 * - `alice.post('/v1/chats', body)` / `alice.ws()`: raw requests and frames, for
 *   input the SDK's types would never let through (bad bodies, attacks).
 *   They answer `{status, body, headers}` without throwing on 4xx/5xx.
 *
 * Every answer is checked against the route table (`contract.ts`): `call()`
 * throws a `ContractViolation` naming the route and the field; the SDK and
 * WebSocket paths fail the test when it ends.
 */
import { inject } from 'vitest';
import { ChatClient, ChatSocket, type ChatClientOptions, type ChatSocketOptions } from '../../sdk/src/index';
import { mintToken, type StackInfo, type TokenOptions } from '../../local/launcher';
import { checkHttp, ContractViolation, ContractWebSocket, contractFetch, parsedBody } from './contract';
import { connect, type WsClient } from './ws-client';

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call(stack: StackInfo, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const url = new URL(`${stack.baseUrl}${path}`);
  const res = await fetch(url, { method, headers, body });
  const answer = { status: res.status, body: parsedBody(await res.text()), headers: res.headers };
  // The path as sent: the URL parser resolves dot segments (`%2e%2e` too) before the request leaves.
  const violation = checkHttp({ method, path: `${url.pathname}${url.search}`, ...answer });
  if (violation) throw new ContractViolation(violation);
  return answer;
}

/** The SDK's HTTP client on the stack, answers checked against the contract; no retries, so tests see every answer. */
export function sdkClient(options: Omit<ChatClientOptions, 'baseUrl'> = {}): ChatClient {
  return new ChatClient({ baseUrl: inject('stack').baseUrl, retries: 0, fetch: contractFetch(), ...options });
}

export interface TestUser {
  id: string;
  token: string;
  /** The client SDK's HTTP client for this user: typed methods, throws ChatApiError. */
  api: ChatClient;
  /** Opens the client SDK's WebSocket (reconnect, catch-up) as this user; close it at the end of the test. */
  socket(options?: Partial<ChatSocketOptions>): Promise<ChatSocket>;
  get(path: string): Promise<Answer>;
  post(path: string, body?: unknown): Promise<Answer>;
  put(path: string, body?: unknown): Promise<Answer>;
  patch(path: string, body?: unknown): Promise<Answer>;
  del(path: string): Promise<Answer>;
  /** Opens a raw WebSocket as this user (for frames the SDK would never send). */
  ws(): Promise<WsClient>;
}

let counter = 0;
/** A unique user id per test run, so tests sharing the stack never see each other's chats. */
export const uniqueId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}-${process.pid}`;

/** Mints a token for `userId` and registers the user in the directory (`GET /v1/me`). */
export async function client(userId: string, options: TokenOptions = {}): Promise<TestUser> {
  const stack = inject('stack');
  const token = await mintToken(stack.baseUrl, userId, { name: userId, ...options });
  const me = await call(stack, 'GET', '/v1/me', { token });
  if (me.status !== 200) throw new Error(`GET /v1/me for ${userId} answered ${me.status}`);
  const api = sdkClient({ token });
  return {
    id: userId,
    token,
    api,
    async socket(options = {}) {
      const socket = new ChatSocket({ url: stack.wsUrl, token, api, WebSocket: ContractWebSocket as never, ...options });
      await socket.connect();
      return socket;
    },
    get: (path) => call(stack, 'GET', path, { token }),
    post: (path, body) => call(stack, 'POST', path, { token, body }),
    put: (path, body) => call(stack, 'PUT', path, { token, body }),
    patch: (path, body) => call(stack, 'PATCH', path, { token, body }),
    del: (path) => call(stack, 'DELETE', path, { token }),
    ws: () => connect(stack.wsUrl, token),
  };
}
