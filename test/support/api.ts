/**
 * A minimal HTTP client for end-to-end tests against the local gateway:
 * `const alice = await client(stack, 'alice')` then `alice.post('/v1/chats', body)`.
 * Answers `{status, body, headers}` without throwing on 4xx/5xx.
 */
import { inject } from 'vitest';
import { mintToken, type StackInfo, type TokenOptions } from './stack';
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
  get(path: string): Promise<Answer>;
  post(path: string, body?: unknown): Promise<Answer>;
  put(path: string, body?: unknown): Promise<Answer>;
  patch(path: string, body?: unknown): Promise<Answer>;
  del(path: string): Promise<Answer>;
  /** Opens a WebSocket as this user. */
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
  return {
    id: userId,
    token,
    get: (path) => call(stack, 'GET', path, { token }),
    post: (path, body) => call(stack, 'POST', path, { token, body }),
    put: (path, body) => call(stack, 'PUT', path, { token, body }),
    patch: (path, body) => call(stack, 'PATCH', path, { token, body }),
    del: (path) => call(stack, 'DELETE', path, { token }),
    ws: () => connect(stack.wsUrl, token),
  };
}
