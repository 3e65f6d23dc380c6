/**
 * ChatSocket's reliability rules on a scripted WebSocket and fake timers:
 * backoff with jitter, keepalive, the 2 h cap (make-before-break), catch-up
 * with de-duplication, resending actions lost with a connection, throttled
 * typing and the 32 KB frame limit.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatSocket, ChatSocketError, WS_LIMITS, type StatusEvent } from '../../sdk/src/index';
import { FakeSocket, historyApi, latest, message, openSocket } from '../support/fake-websocket';

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ChatSocket connection lifecycle', () => {
  it('puts the token in the URL and resolves connect() when open', async () => {
    const states: string[] = [];
    const socket = new ChatSocket({ url: 'ws://chat.test/ws', token: async () => 'a b', WebSocket: FakeSocket as never });
    socket.on('status', (s) => states.push(s.state));
    const connected = socket.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(latest().url).toBe('ws://chat.test/ws?token=a%20b');
    latest().accept();
    await connected;
    expect(socket.state).toBe('open');
    expect(states).toEqual(['connecting', 'open']);
  });

  it('rejects connect() with connect_failed when the first attempt is refused, and does not retry', async () => {
    const socket = new ChatSocket({ url: 'ws://chat.test/ws', token: 'bad', WebSocket: FakeSocket as never });
    const connected = socket.connect();
    const failure = expect(connected).rejects.toMatchObject({ code: 'connect_failed' });
    await vi.advanceTimersByTimeAsync(0);
    latest().refuse();
    await failure;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(socket.state).toBe('closed');
  });

  it('reconnects after a drop with exponential backoff and full jitter, re-reading the token', async () => {
    let token = 't1';
    const statuses: StatusEvent[] = [];
    const socket = await openSocket({ token: () => token, random: () => 0.5, backoff: { initialMs: 1000, maxMs: 5000 } });
    socket.on('status', (s) => statuses.push(s));
    token = 't2';
    latest().drop(1001, 'going away');
    // attempt 1: 0.5 × min(5000, 1000) = 500 ms
    expect(statuses.at(-1)).toMatchObject({ state: 'reconnecting', attempt: 1, delayMs: 500, reason: '1001 going away' });
    await vi.advanceTimersByTimeAsync(499);
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.all).toHaveLength(2);
    expect(latest().url).toContain('token=t2');
    latest().refuse();
    expect(statuses.at(-1)).toMatchObject({ attempt: 2, delayMs: 1000 }); // 0.5 × 2000
    await vi.advanceTimersByTimeAsync(1000);
    latest().refuse();
    expect(statuses.at(-1)).toMatchObject({ attempt: 3, delayMs: 2000 });
    await vi.advanceTimersByTimeAsync(2000);
    latest().refuse();
    await vi.advanceTimersByTimeAsync(2500);
    latest().refuse();
    expect(statuses.at(-1)).toMatchObject({ attempt: 5, delayMs: 2500 }); // capped at maxMs 5000 × 0.5
    await vi.advanceTimersByTimeAsync(2500);
    latest().accept();
    expect(socket.state).toBe('open');
    // A successful open resets the backoff.
    latest().drop();
    expect(statuses.at(-1)).toMatchObject({ attempt: 1, delayMs: 500 });
  });

  it('close() stops reconnecting and rejects pending actions', async () => {
    const socket = await openSocket();
    const pending = socket.ping();
    socket.close();
    await expect(pending).rejects.toMatchObject({ code: 'not_connected' });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(socket.state).toBe('closed');
  });

  it('pings after keepaliveMs without a client frame, never letting the 10-minute idle timeout pass', async () => {
    const socket = await openSocket({ keepaliveMs: 60_000, typing: { idleMs: 120_000 } });
    const ws = latest();
    await vi.advanceTimersByTimeAsync(59_999);
    expect(ws.sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(ws.sent).toEqual([{ action: 'ping' }]);
    // Any client frame restarts the idle clock.
    await vi.advanceTimersByTimeAsync(30_000);
    socket.typing('c1');
    await vi.advanceTimersByTimeAsync(59_999);
    expect(ws.sent.filter((f) => f.action === 'ping')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(ws.sent.filter((f) => f.action === 'ping')).toHaveLength(2);
    expect(() => new ChatSocket({ url: 'ws://x', token: 't', WebSocket: FakeSocket as never, keepaliveMs: WS_LIMITS.idleTimeoutMs })).toThrow(RangeError);
  });

  it('replaces the connection before the 2-hour cap, opening the new one before closing the old', async () => {
    const socket = await openSocket({ keepaliveMs: 9 * 60_000 });
    const first = latest();
    await vi.advanceTimersByTimeAsync(WS_LIMITS.maxConnectionMs - 5 * 60_000 - 1);
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.all).toHaveLength(2);
    expect(first.readyState).toBe(1); // still open while the new one connects
    latest().accept();
    expect(first.closedWith).toEqual({ code: 1000, reason: 'replaced' });
    expect(socket.state).toBe('open');
    // The old connection's close is not a drop: no reconnect is scheduled.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(2);
  });
});

describe('ChatSocket actions', () => {
  it('resolves an action with its ack and rejects with the error frame code', async () => {
    const socket = await openSocket();
    const sent = socket.sendMessage({ chatId: 'c1', content: 'hi' });
    const frame = latest().sent.at(-1);
    expect(frame).toMatchObject({ action: 'sendMessage', chatId: 'c1', content: 'hi', requestId: expect.any(String), clientMessageId: expect.any(String) });
    latest().answerLast({ message: message('c1', 1) });
    await expect(sent).resolves.toMatchObject({ id: 'm1', seq: 1 });

    const limited = socket.sendMessage({ chatId: 'c1', content: 'again' });
    const request = latest().sent.at(-1);
    latest().push({ type: 'error', requestId: request.requestId, code: 'rate_limited', message: 'slow down', retryAfter: 12 });
    await expect(limited).rejects.toEqual(expect.objectContaining({ code: 'rate_limited', retryAfterSeconds: 12 }));
    await expect(limited).rejects.toBeInstanceOf(ChatSocketError);
  });

  it('resends an unanswered action on the next connection with the same clientMessageId', async () => {
    const socket = await openSocket({ backoff: { initialMs: 100 } });
    const sent = socket.sendMessage({ chatId: 'c1', content: 'hi' });
    const first = latest().sent.at(-1);
    latest().drop();
    await vi.advanceTimersByTimeAsync(100);
    latest().accept();
    const again = latest().sent.find((f) => f.action === 'sendMessage');
    expect(again).toEqual(first);
    latest().answerLast({ message: message('c1', 1) });
    await expect(sent).resolves.toMatchObject({ id: 'm1' });
  });

  it('times out an action that gets no answer', async () => {
    const socket = await openSocket({ requestTimeoutMs: 2_000 });
    const ping = socket.ping();
    const outcome = expect(ping).rejects.toMatchObject({ code: 'timeout' });
    await vi.advanceTimersByTimeAsync(2_000);
    await outcome;
  });

  it('refuses a frame over the 32 KB frame limit without sending it', async () => {
    const socket = await openSocket();
    await expect(socket.sendMessage({ chatId: 'c1', content: 'é'.repeat(17_000) })).rejects.toMatchObject({ code: 'payload_too_large' });
    expect(latest().sent).toEqual([]);
  });

  it('throttles typing: one isTyping:true per 3 s, isTyping:false after 5 s idle or on send', async () => {
    const socket = await openSocket();
    const typing = () => latest().sent.filter((f) => f.action === 'typing');
    for (let i = 0; i < 10; i++) {
      socket.typing('c1');
      await vi.advanceTimersByTimeAsync(250);
    }
    // 2.5 s of keystrokes: one frame
    expect(typing()).toEqual([{ action: 'typing', chatId: 'c1', isTyping: true }]);
    socket.typing('c1');
    await vi.advanceTimersByTimeAsync(500);
    socket.typing('c1'); // 3.25 s after the first frame
    expect(typing()).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(typing().at(-1)).toEqual({ action: 'typing', chatId: 'c1', isTyping: false });
    expect(typing()).toHaveLength(3);

    socket.typing('c2');
    void socket.sendMessage({ chatId: 'c2', content: 'done' }).catch(() => undefined);
    const frames = latest().sent.slice(-3).map((f) => [f.action, f.isTyping]);
    expect(frames).toEqual([
      ['typing', true],
      ['typing', false],
      ['sendMessage', undefined],
    ]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(typing()).toHaveLength(5); // no second isTyping:false
    socket.close();
  });
});

describe('ChatSocket catch-up and de-duplication', () => {
  it('emits live messages once, even when the server repeats one', async () => {
    const socket = await openSocket();
    const seen: string[] = [];
    socket.on('message.new', (e) => seen.push(e.message.id));
    latest().push({ type: 'message.new', chatId: 'c1', message: message('c1', 1) });
    latest().push({ type: 'message.new', chatId: 'c1', message: message('c1', 1) });
    latest().push({ type: 'message.new', chatId: 'c1', message: message('c1', 2) });
    expect(seen).toEqual(['m1', 'm2']);
    expect(socket.lastSeq('c1')).toBe(2);
  });

  it('after a reconnect, fetches what was missed from the last contiguous seq and emits it once', async () => {
    const history = { c1: [1, 2, 3, 4, 5, 6].map((n) => message('c1', n)), c2: [message('c2', 10), message('c2', 11)] };
    const api = historyApi(history);
    const socket = await openSocket({ api, backoff: { initialMs: 10 } });
    const seen: { id: string; catchUp?: boolean }[] = [];
    socket.on('message.new', (e) => seen.push({ id: `${e.chatId}/${e.message.id}`, catchUp: e.catchUp }));
    const caughtUp = new Promise((done) => socket.on('caughtUp', done));

    socket.track('c2', 10); // the app loaded c2's history up to 10
    latest().push({ type: 'message.new', chatId: 'c1', message: message('c1', 1) });
    latest().push({ type: 'message.new', chatId: 'c1', message: message('c1', 2) });
    // 3 is lost with the connection; 4 arrived out of order before it
    latest().push({ type: 'message.new', chatId: 'c1', message: message('c1', 4) });
    expect(socket.lastSeq('c1')).toBe(2);
    latest().drop();
    await vi.advanceTimersByTimeAsync(10);
    latest().accept();
    // live event racing the catch-up: must not be emitted twice
    latest().push({ type: 'message.new', chatId: 'c1', message: message('c1', 5) });
    await expect(caughtUp).resolves.toEqual({ chats: 2, messages: 3, dropped: [] });

    expect(api.calls).toEqual(
      expect.arrayContaining([
        { chatId: 'c1', after: 2 },
        { chatId: 'c2', after: 10 },
      ]),
    );
    expect(api.calls).toHaveLength(2);
    const ids = (chatId: string, filter = (_s: (typeof seen)[number]) => true) => seen.filter((s) => s.id.startsWith(`${chatId}/`) && filter(s)).map((s) => s.id);
    // 4 waited for 3 (held), 5 arrived during the catch-up: all in seq order.
    expect(ids('c1')).toEqual(['c1/m1', 'c1/m2', 'c1/m3', 'c1/m4', 'c1/m5', 'c1/m6']);
    expect(ids('c2')).toEqual(['c2/m11']);
    expect([...ids('c1', (s) => !!s.catchUp), ...ids('c2', (s) => !!s.catchUp)]).toEqual(['c1/m3', 'c1/m6', 'c2/m11']);
    expect(socket.lastSeq('c1')).toBe(6);
  });

  it('pages catch-up until hasMore is false and drops chats the caller can no longer read', async () => {
    const api = historyApi({ c1: Array.from({ length: 250 }, (_, i) => message('c1', i + 1)) });
    const socket = await openSocket({ api, backoff: { initialMs: 10 } });
    let emitted = 0;
    socket.on('message.new', () => emitted++);
    const caughtUp = new Promise((done) => socket.on('caughtUp', done));
    socket.track('c1', 0);
    socket.track('gone', 3);
    latest().drop();
    await vi.advanceTimersByTimeAsync(10);
    latest().accept();
    await expect(caughtUp).resolves.toEqual({ chats: 2, messages: 250, dropped: ['gone'] });
    expect(api.calls.filter((c) => c.chatId === 'c1').map((c) => c.after)).toEqual([0, 100, 200]);
    expect(emitted).toBe(250);
    expect(socket.lastSeq('gone')).toBeUndefined();
  });

  it('does not stall on a seq the server never had: catch-up moves the cursor to the last seq listed', async () => {
    const api = historyApi({ c1: [1, 2, 4, 5].map((n) => message('c1', n)) });
    const socket = await openSocket({ api, backoff: { initialMs: 10 } });
    const caughtUp: unknown[] = [];
    socket.on('caughtUp', (e) => caughtUp.push(e));
    for (const n of [1, 2, 4]) latest().push({ type: 'message.new', chatId: 'c1', message: message('c1', n) });
    expect(socket.lastSeq('c1')).toBe(2);
    latest().drop();
    await vi.advanceTimersByTimeAsync(10);
    latest().accept();
    await vi.waitFor(() => expect(caughtUp).toHaveLength(1));
    expect(socket.lastSeq('c1')).toBe(5);
    // The next catch-up starts after 5, not after 2 again.
    latest().drop();
    await vi.advanceTimersByTimeAsync(20);
    latest().accept();
    await vi.waitFor(() => expect(caughtUp).toHaveLength(2));
    expect(api.calls.map((c) => c.after)).toEqual([2, 5]);
  });

  it('track() never moves a cursor backwards', async () => {
    const socket = await openSocket();
    socket.track('c1', 7);
    socket.track('c1', 3);
    expect(socket.lastSeq('c1')).toBe(7);
  });
});
