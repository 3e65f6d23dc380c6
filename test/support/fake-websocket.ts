/**
 * A scripted WebSocket for ChatSocket unit tests: records what the client
 * sends; the test plays the server (accept, refuse, drop, push frames,
 * answer). Plus a paged message history served like `GET …/messages?after=`.
 */
import { vi } from 'vitest';
import { ChatSocket, type Message } from '../../sdk/src/index';

export class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: any[] = [];
  closedWith?: { code?: number; reason?: string };
  private listeners = new Map<string, ((event: any) => void)[]>();
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  addEventListener(type: string, listener: (event: any) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  send(data: string) {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data));
  }
  close(code?: number, reason?: string) {
    if (this.readyState === 3) return;
    this.closedWith = { code, reason };
    this.drop(code ?? 1005, reason ?? '');
  }
  // ---- the "server" side
  accept() {
    this.readyState = 1;
    this.fire('open', {});
  }
  refuse() {
    this.readyState = 3;
    this.fire('error', {});
    this.fire('close', { code: 1006, reason: '' });
  }
  drop(code = 1006, reason = '') {
    this.readyState = 3;
    this.fire('close', { code, reason });
  }
  push(frame: object) {
    this.fire('message', { data: JSON.stringify(frame) });
  }
  answerLast(extra: object = {}) {
    const frame = this.sent.at(-1);
    this.push({ type: 'ack', requestId: frame.requestId, ...extra });
  }
  private fire(type: string, event: object) {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}

export const latest = () => FakeSocket.all.at(-1)!;
export const message = (chatId: string, seq: number, id = `m${seq}`): Message =>
  ({ id, chatId, seq, senderId: 'bob', type: 'text', content: `#${seq}`, attachments: [], reactions: {}, mentions: [], createdAt: '2026-01-01T00:00:00.000Z', readBy: 0 }) as Message;

/** A message history per chat, served like `GET …/messages?after=` (pages of `limit`, ascending). */
export function historyApi(history: Record<string, Message[]>) {
  const calls: { chatId: string; after?: number }[] = [];
  return {
    calls,
    async listMessages(chatId: string, query: { after?: number; limit?: number } = {}) {
      calls.push({ chatId, after: query.after });
      const all = history[chatId];
      if (!all) throw Object.assign(new Error('not found'), { status: 404 });
      const after = query.after ?? 0;
      const above = all.filter((m) => m.seq > after);
      const limit = query.limit ?? 50;
      return { messages: above.slice(0, limit), hasMore: above.length > limit };
    },
  };
}

export async function openSocket(options: Partial<ConstructorParameters<typeof ChatSocket>[0]> = {}) {
  const socket = new ChatSocket({ url: 'ws://chat.test/ws', token: 'tok', WebSocket: FakeSocket as never, random: () => 1, ...options });
  const connected = socket.connect();
  await vi.advanceTimersByTimeAsync(0); // token resolution
  latest().accept();
  await connected;
  return socket;
}

