/**
 * `ChatSocket.sendMessage` ordering (sdk/src/send-queue.ts): one send per
 * chat in flight, in call order, across the socket and HTTP; other chats
 * pipeline; a failure does not block the queue; a timed-out frame is
 * repeated over HTTP with the same clientMessageId before the next send.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyedQueue, type Message } from '../../sdk/src/index';
import { FakeSocket, latest, message, openSocket } from '../support/fake-websocket';

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

const sends = () => latest().sent.filter((f) => f.action === 'sendMessage');
const answer = (frame: { requestId: string; chatId: string; content: string }, seq: number) =>
  latest().push({ type: 'ack', requestId: frame.requestId, message: { ...message(frame.chatId, seq), content: frame.content }, replayed: false });

/** An HTTP send endpoint that records calls and answers when the test says so. */
function httpApi() {
  const calls: { chatId: string; body: { content?: string; clientMessageId?: string } }[] = [];
  const waiting: (() => void)[] = [];
  let seq = 100;
  return {
    calls,
    answerNext: () => waiting.shift()?.(),
    async listMessages() {
      return { messages: [] as Message[], hasMore: false };
    },
    sendMessage(chatId: string, body: { content?: string; clientMessageId?: string }) {
      calls.push({ chatId, body });
      return new Promise<{ message: Message }>((resolve) => waiting.push(() => resolve({ message: { ...message(chatId, ++seq), content: body.content ?? '' } })));
    },
  };
}

describe('KeyedQueue', () => {
  it('runs tasks of one key in order, one at a time, and other keys concurrently', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const gate = () => {
      let open!: () => void;
      return { promise: new Promise<void>((r) => (open = r)), open: () => open() };
    };
    const a1 = gate();
    const a2 = gate();
    const r1 = queue.run('a', async () => (log.push('a1 start'), await a1.promise, log.push('a1 end')));
    const r2 = queue.run('a', async () => (log.push('a2 start'), await a2.promise, log.push('a2 end')));
    const r3 = queue.run('b', async () => log.push('b1'));
    await r3;
    expect(log).toEqual(['a1 start', 'b1']);
    a1.open();
    await r1;
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2 start']);
    a2.open();
    await r2;
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.size).toBe(0); // idle keys are forgotten
  });

  it('a failed task does not block the next one', async () => {
    const queue = new KeyedQueue();
    const first = queue.run('a', async () => Promise.reject(new Error('no')));
    const second = queue.run('a', async () => 'ok');
    await expect(first).rejects.toThrow('no');
    await expect(second).resolves.toBe('ok');
  });
});

describe('ChatSocket.sendMessage ordering', () => {
  it('a burst without waiting: one frame per chat in flight, the next after the ack, other chats in parallel', async () => {
    const socket = await openSocket();
    const results = ['a', 'b', 'c', 'd'].map((content) => socket.sendMessage({ chatId: 'c1', content }));
    const other = socket.sendMessage({ chatId: 'c2', content: 'x' });
    expect(sends().map((f) => [f.chatId, f.content])).toEqual([
      ['c1', 'a'],
      ['c2', 'x'],
    ]);
    for (let i = 0; i < 4; i++) {
      const frame = sends().filter((f) => f.chatId === 'c1').at(-1);
      answer(frame, i + 1);
      await vi.advanceTimersByTimeAsync(0);
    }
    answer(sends().find((f) => f.chatId === 'c2'), 1);
    expect(sends().filter((f) => f.chatId === 'c1').map((f) => f.content)).toEqual(['a', 'b', 'c', 'd']);
    expect((await Promise.all(results)).map((m) => [m.seq, m.content])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
      [4, 'd'],
    ]);
    await expect(other).resolves.toMatchObject({ content: 'x' });
  });

  it('keeps the order across HTTP (while reconnecting) and the socket', async () => {
    const api = httpApi();
    const socket = await openSocket({ api, backoff: { initialMs: 100 } });
    latest().drop();
    const first = socket.sendMessage({ chatId: 'c1', content: 'over http' });
    const second = socket.sendMessage({ chatId: 'c1', content: 'then socket' });
    expect(api.calls.map((c) => c.body.content)).toEqual(['over http']);
    await vi.advanceTimersByTimeAsync(100);
    latest().accept();
    await vi.advanceTimersByTimeAsync(0);
    expect(sends()).toEqual([]); // still waits for the HTTP answer
    api.answerNext();
    await expect(first).resolves.toMatchObject({ content: 'over http' });
    await vi.advanceTimersByTimeAsync(0);
    expect(sends().map((f) => f.content)).toEqual(['then socket']);
    answer(sends()[0], 102);
    await expect(second).resolves.toMatchObject({ content: 'then socket' });
  });

  it('a timed-out frame is repeated over HTTP with the same clientMessageId before the next send leaves', async () => {
    const api = httpApi();
    const socket = await openSocket({ api, requestTimeoutMs: 1_000 });
    const first = socket.sendMessage({ chatId: 'c1', content: 'slow' });
    const second = socket.sendMessage({ chatId: 'c1', content: 'next' });
    const frame = sends()[0];
    await vi.advanceTimersByTimeAsync(1_000);
    expect(api.calls).toEqual([{ chatId: 'c1', body: expect.objectContaining({ content: 'slow', clientMessageId: frame.clientMessageId }) }]);
    expect(sends()).toHaveLength(1);
    api.answerNext();
    await expect(first).resolves.toMatchObject({ content: 'slow' });
    await vi.advanceTimersByTimeAsync(0);
    expect(sends().map((f) => f.content)).toEqual(['slow', 'next']);
    answer(sends()[1], 2);
    await expect(second).resolves.toMatchObject({ content: 'next' });
  });

  it('a refused send (rate limited) rejects and the next one still goes', async () => {
    const socket = await openSocket();
    const first = socket.sendMessage({ chatId: 'c1', content: 'one' });
    const second = socket.sendMessage({ chatId: 'c1', content: 'two' });
    const outcome = expect(first).rejects.toMatchObject({ code: 'rate_limited' });
    latest().push({ type: 'error', requestId: sends()[0].requestId, code: 'rate_limited', message: 'slow down', detail: 'slow down', retryAfter: 3 });
    await outcome;
    await vi.advanceTimersByTimeAsync(0);
    expect(sends().map((f) => f.content)).toEqual(['one', 'two']);
    answer(sends()[1], 1);
    await expect(second).resolves.toMatchObject({ content: 'two' });
  });
});
