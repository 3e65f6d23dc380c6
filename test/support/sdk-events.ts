/**
 * Records every event a ChatSocket emits, so a test can wait for one that
 * may already have arrived: `const events = record(socket)` then
 * `await events.next('message.new', (e) => e.chatId === id)`.
 */
import { routes, type ChatClient, type ChatSocket, type SocketEventMap } from '../../sdk/src/index';
import { sdkClient } from './api';

type Entry = { [K in keyof SocketEventMap]: { type: K; event: SocketEventMap[K] } }[keyof SocketEventMap];

const TYPES: (keyof SocketEventMap)[] = [
  'message.new',
  'message.edited',
  'message.deleted',
  'reaction.updated',
  'messages.read',
  'typing',
  'presence',
  'chat.created',
  'chat.updated',
  'participants.added',
  'participant.removed',
  'membership.updated',
  'message.pinned',
  'error',
  'status',
  'caughtUp',
  'synced',
  'syncExpired',
];

export interface Recorder {
  /** Every event so far, in order. */
  all: Entry[];
  /** Events of one type so far. */
  of<K extends keyof SocketEventMap>(type: K): SocketEventMap[K][];
  /** The first event of `type` matching `predicate` not taken yet; waits up to `timeoutMs` (default 5 s). */
  next<K extends keyof SocketEventMap>(type: K, predicate?: (event: SocketEventMap[K]) => boolean, timeoutMs?: number): Promise<SocketEventMap[K]>;
}

export function record(socket: ChatSocket): Recorder {
  const all: Entry[] = [];
  const taken = new Set<Entry>();
  const waiters = new Set<() => void>();
  for (const type of TYPES) {
    socket.on(type, (event) => {
      all.push({ type, event } as Entry);
      for (const wake of [...waiters]) wake();
    });
  }
  const find = (type: string, predicate: (event: any) => boolean) => all.find((e) => e.type === type && !taken.has(e) && predicate(e.event));
  return {
    all,
    of: (type) => all.filter((e) => e.type === type).map((e) => e.event) as never,
    next(type, predicate = () => true, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = find(type, predicate as (event: any) => boolean);
          if (!hit) return false;
          taken.add(hit);
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit.event as never);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${String(type)} event within ${timeoutMs} ms; last events: ${JSON.stringify(all.slice(-5)).slice(0, 1500)}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
  };
}

/**
 * Calls the SDK as `user` and answers `{status, body}`, for the few assertions
 * on an HTTP status the SDK's return values do not carry: 201 "created" versus
 * 200 "already there" (idempotent chat creation, support chats, repeated
 * `clientMessageId`). Each call gets its own client, so racing calls keep their
 * statuses apart: `const first = await withStatus(alice, (api) => api.createChat(body))`.
 */
export async function withStatus<T>(user: { api: ChatClient; token: string }, call: (api: ChatClient) => Promise<T>): Promise<{ status: number; body: T }> {
  let status = 0;
  const api = sdkClient({ token: user.token, onResponse: (response) => (status = response.status) });
  const body = await call(api);
  return { status, body };
}

/** Wraps a ChatClient so a test can assert which operations it called, in order (`calls`: operation names). */
export function counting(api: ChatClient): { api: ChatClient; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(api, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof key === 'string' && key in routes && typeof value === 'function') {
        return (...args: unknown[]) => {
          calls.push(key);
          return value.apply(target, args);
        };
      }
      return value;
    },
  });
  return { api: proxy, calls };
}
