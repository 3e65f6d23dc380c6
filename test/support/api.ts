/**
 * Test users for end-to-end tests against the local gateway:
 * `const alice = await client('alice')`, then
 * - `alice.api` / `alice.socket()`: the client SDK (`sdk/`), as applications use it;
 * - `alice.post('/v1/chats', body)` / `alice.ws()`: raw requests and frames, for
 *   input the SDK's types would never let through (bad bodies, attacks).
 *   They answer `{status, body, headers}` without throwing on 4xx/5xx.
 */
import { inject } from 'vitest';
import WebSocket from 'ws';
import { ChatClient, ChatSocket, type ChatSocketOptions } from '../../sdk/src/index';
import { mintToken, type StackInfo, type TokenOptions } from '../../local/launcher';
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
  const res = await fetch(`${stack.baseUrl}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // keep text
  }
  return { status: res.status, body: parsed, headers: res.headers };
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
  const api = new ChatClient({ baseUrl: stack.baseUrl, token, retries: 0 });
  return {
    id: userId,
    token,
    api,
    async socket(options = {}) {
      const socket = new ChatSocket({ url: stack.wsUrl, token, api, WebSocket: WebSocket as never, ...options });
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
