/**
 * `ChatSocket`: the WebSocket API with the reliability a chat UI needs, so
 * applications only handle typed events.
 *
 * - Auto-reconnect with exponential backoff and full jitter after any drop.
 * - Keepalive: a `ping` after `keepaliveMs` without a client frame, under API
 *   Gateway's 10-minute idle timeout.
 * - Reconnects before API Gateway's 2-hour connection cap, make-before-break
 *   (the new connection opens before the old one is closed).
 * - Catch-up after every reconnect: for every chat it has seen, it pages
 *   `GET /v1/chats/{chatId}/messages?after=<seq>` from the highest seq below
 *   which nothing is missing, and emits the missed messages as `message.new`
 *   (`catchUp: true`). Messages are de-duplicated by id, so a message that
 *   arrives both live and by catch-up is emitted once; one that arrived out of
 *   order is never skipped.
 * - Action frames (`sendMessage`, `markRead`, …) get a `requestId` and resolve
 *   with the `ack`; a frame lost with its connection is sent again on the
 *   next one (sends carry a `clientMessageId`, so the server stores them once).
 * - `typing(chatId)` is throttled: at most one `isTyping: true` per
 *   `throttleMs`, and `isTyping: false` after `idleMs` without a keystroke.
 * - Frames above API Gateway's 32 KB frame limit are refused locally
 *   (`payload_too_large`) instead of having the connection closed.
 *
 * ```ts
 * const socket = new ChatSocket({ url: 'ws://127.0.0.1:3000/ws', token: () => token, api });
 * socket.on('message.new', ({ chatId, message }) => render(chatId, message));
 * socket.on('status', ({ state }) => showBanner(state));
 * await socket.connect();
 * await socket.sendMessage({ chatId, content: 'hi' });
 * ```
 *
 * Runs in browsers and Node ≥ 22 with the global `WebSocket`; on Node 20 pass
 * `WebSocket` from the `ws` package.
 */
import { ChatSocketError } from './errors.js';
import { WS_LIMITS, type ActionAnswerMap, type ActionFrameMap, type Message, type ServerFrameMap } from './generated.js';
import { newClientMessageId, resolveToken, type TokenSource } from './http.js';

/** The subset of the WHATWG `WebSocket` the socket uses (browsers, Node 22's global, the `ws` package). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: any) => void): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export type SocketState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StatusEvent {
  state: SocketState;
  /** While reconnecting: the attempt number (1 = first retry) and the delay before it in ms. */
  attempt?: number;
  delayMs?: number;
  /** Why the last connection ended (close code and reason), when known. */
  reason?: string;
}

/** Emitted after every reconnect once catch-up has finished. */
export interface CaughtUpEvent {
  /** Chats checked. */
  chats: number;
  /** Missed messages emitted as `message.new`. */
  messages: number;
  /** Chats the caller may no longer read (404/403): they are no longer tracked. */
  dropped: string[];
}

/** Everything `on()` can listen to: server events (acks and pongs are consumed by the socket) plus lifecycle events. */
export type SocketEventMap = Omit<ServerFrameMap, 'ack' | 'pong' | 'message.new'> & {
  'message.new': ServerFrameMap['message.new'] & { catchUp?: boolean };
  status: StatusEvent;
  caughtUp: CaughtUpEvent;
};

type ActionPayload<A extends keyof ActionFrameMap> = Omit<ActionFrameMap[A], 'action' | 'requestId'>;

/** What catch-up needs from the HTTP client (a `ChatClient` fits). */
export interface CatchUpSource {
  listMessages(chatId: string, query?: { after?: number; limit?: number }): Promise<{ messages: Message[]; hasMore: boolean }>;
}

export interface ChatSocketOptions {
  /** `ws://127.0.0.1:3000/ws` locally; the stack's WebSocket stage URL on AWS. The token is appended as `?token=`. */
  url: string;
  /** Called before every (re)connect, so a refreshed token is used. */
  token: TokenSource;
  /** Source of missed messages after a reconnect; without it there is no catch-up. */
  api?: CatchUpSource;
  /** Defaults to the global `WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** Ping after this long without a client frame (default 5 min; must stay under the 10 min idle timeout). */
  keepaliveMs?: number;
  /** Reconnect (make-before-break) after this long (default 2 h − 5 min, before API Gateway's 2 h cap). */
  maxConnectionAgeMs?: number;
  /** Reconnect backoff: uniform in [0, min(maxMs, initialMs·2^attempt)] (defaults 500 ms, 30 s). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** How long an action waits for its answer, reconnects included (default 10 s). */
  requestTimeoutMs?: number;
  /** `typing()` throttle and idle timeout (defaults 3 s and 5 s). */
  typing?: { throttleMs?: number; idleMs?: number };
  /** For tests: the jitter source (default `Math.random`). */
  random?: () => number;
}

const OPEN = 1;
/** Message ids remembered per chat for de-duplication. */
const SEEN_PER_CHAT = 1_000;
const CATCH_UP_PAGE = 100;

interface Pending {
  frame: string;
  resolve: (answer: any) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  sentOn?: WebSocketLike;
}

/** Per chat: `contiguous` = every seq ≤ it has been seen; `above` = seqs seen beyond it. */
interface ChatCursor {
  contiguous: number;
  above: Set<number>;
  ids: Set<string>;
}

const utf8Length = (text: string) => new TextEncoder().encode(text).length;

export class ChatSocket {
  private readonly options: Required<Pick<ChatSocketOptions, 'keepaliveMs' | 'maxConnectionAgeMs' | 'requestTimeoutMs'>> & ChatSocketOptions;
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly random: () => number;
  private ws?: WebSocketLike;
  private candidate?: WebSocketLike;
  private currentState: SocketState = 'idle';
  private wanted = false;
  private dialing = false;
  private everOpened = false;
  private attempt = 0;
  private requestCounter = 0;
  private reconnectTimer?: ReturnType<typeof setTimeout>;
  private keepaliveTimer?: ReturnType<typeof setTimeout>;
  private maxAgeTimer?: ReturnType<typeof setTimeout>;
  private firstOpen?: { resolve: () => void; reject: (error: Error) => void };
  private readonly listeners = new Map<string, Set<(event: any) => void>>();
  private readonly pending = new Map<string, Pending>();
  private readonly cursors = new Map<string, ChatCursor>();
  private readonly typingState = new Map<string, { sentAt: number; idle: ReturnType<typeof setTimeout> }>();

  constructor(options: ChatSocketOptions) {
    const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketImpl) throw new TypeError('No global WebSocket: pass `WebSocket` (e.g. from the `ws` package on Node 20).');
    this.WebSocketImpl = WebSocketImpl;
    this.random = options.random ?? Math.random;
    this.options = {
      keepaliveMs: 5 * 60 * 1000,
      maxConnectionAgeMs: WS_LIMITS.maxConnectionMs - 5 * 60 * 1000,
      requestTimeoutMs: 10_000,
      ...options,
    };
    if (this.options.keepaliveMs >= WS_LIMITS.idleTimeoutMs) throw new RangeError('keepaliveMs must be below the 10-minute idle timeout.');
  }

  get state(): SocketState {
    return this.currentState;
  }

  /**
   * Opens the connection. Resolves when it is open; rejects with
   * `connect_failed` if the first attempt fails (bad token or URL: the
   * browser does not say which) and then stays closed. After the first open,
   * drops are retried until {@link close}.
   */
  connect(): Promise<void> {
    if (this.currentState === 'open') return Promise.resolve();
    this.wanted = true;
    const opened = new Promise<void>((resolve, reject) => (this.firstOpen = { resolve, reject }));
    if (!this.dialing && !this.candidate) void this.dial();
    return opened;
  }

  /** Closes for good: no reconnect, pending actions reject with `not_connected`. */
  close(): void {
    this.wanted = false;
    clearTimeout(this.reconnectTimer);
    this.stopTimers();
    for (const chatId of [...this.typingState.keys()]) this.clearTyping(chatId);
    for (const socket of [this.ws, this.candidate]) socket?.close(1000, 'client closed');
    this.ws = undefined;
    this.candidate = undefined;
    this.failPending(new ChatSocketError('not_connected', 'The socket was closed.'));
    this.firstOpen?.reject(new ChatSocketError('not_connected', 'The socket was closed before it opened.'));
    this.firstOpen = undefined;
    this.setState({ state: 'closed' });
  }

  /** Drops the current connection and reconnects now (e.g. after a network change); catch-up follows. */
  reconnect(): void {
    if (!this.wanted) return;
    this.ws?.close(4000, 'client reconnect');
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof SocketEventMap>(type: K, handler: (event: SocketEventMap[K]) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /**
   * Tells the socket the app holds `chatId`'s messages up to `seq` (e.g. after
   * loading history), so catch-up starts there. Never moves backwards.
   */
  track(chatId: string, seq: number): void {
    const cursor = this.cursors.get(chatId);
    if (!cursor) {
      this.cursors.set(chatId, { contiguous: seq, above: new Set(), ids: new Set() });
      return;
    }
    if (seq > cursor.contiguous) {
      cursor.contiguous = seq;
      this.advance(cursor);
    }
  }

  /** Stops catching up `chatId` (e.g. the user left it). */
  untrack(chatId: string): void {
    this.cursors.delete(chatId);
  }

  /** The seq up to which nothing is missing in `chatId`, if tracked. */
  lastSeq(chatId: string): number | undefined {
    return this.cursors.get(chatId)?.contiguous;
  }

  /**
   * Sends `{action, requestId, ...payload}` and resolves with the frame that
   * answers it (`ack`, or `pong` for `ping`). Rejects with
   * {@link ChatSocketError}: the server's code for an `error` frame,
   * `timeout`, `not_connected`, or `payload_too_large`.
   */
  request<A extends keyof ActionFrameMap>(action: A, payload: ActionPayload<A>, options: { timeoutMs?: number } = {}): Promise<ActionAnswerMap[A]> {
    const requestId = `r${++this.requestCounter}-${Math.floor(this.random() * 1e9).toString(36)}`;
    const frame = JSON.stringify({ ...payload, action, requestId });
    if (utf8Length(frame) > WS_LIMITS.frameBytes) {
      return Promise.reject(new ChatSocketError('payload_too_large', `The frame is over API Gateway's ${WS_LIMITS.frameBytes / 1024} KB frame limit.`));
    }
    if (!this.wanted) return Promise.reject(new ChatSocketError('not_connected', 'Call connect() first.'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new ChatSocketError('timeout', `No answer to ${action} within ${options.timeoutMs ?? this.options.requestTimeoutMs} ms.`));
      }, options.timeoutMs ?? this.options.requestTimeoutMs);
      const entry: Pending = { frame, resolve, reject, timer };
      this.pending.set(requestId, entry);
      this.transmit(entry);
    });
  }

  /**
   * Sends a message (`chatId`, or `to` for a direct chat) and resolves with
   * the stored message. A `clientMessageId` is added when missing, so a resend
   * after a reconnect stores it once.
   */
  async sendMessage(payload: ActionPayload<'sendMessage'>): Promise<Message> {
    if (payload.chatId) this.clearTyping(payload.chatId, true);
    const ack = await this.request('sendMessage', { ...payload, clientMessageId: payload.clientMessageId ?? newClientMessageId() });
    return ack.message;
  }

  /** Moves the caller's read marker (default: latest); resolves with `{lastReadSeq, unreadCount}`. */
  async markRead(payload: ActionPayload<'markRead'>): Promise<{ lastReadSeq: number; unreadCount: number }> {
    const { lastReadSeq, unreadCount } = await this.request('markRead', payload);
    return { lastReadSeq, unreadCount };
  }

  /** Round trip to the server; resolves when the `pong` arrives. */
  async ping(): Promise<void> {
    await this.request('ping', {});
  }

  /**
   * Call on every keystroke in `chatId`'s composer: sends `typing {isTyping:
   * true}` at most once per throttle interval and `isTyping: false` once the
   * user pauses. Typing is ephemeral: nothing is sent while disconnected.
   */
  typing(chatId: string): void {
    const { throttleMs = 3_000, idleMs = 5_000 } = this.options.typing ?? {};
    const now = Date.now();
    const state = this.typingState.get(chatId);
    if (state) clearTimeout(state.idle);
    const sentAt = !state || now - state.sentAt >= throttleMs ? (this.fireAndForget({ action: 'typing', chatId, isTyping: true }), now) : state.sentAt;
    this.typingState.set(chatId, { sentAt, idle: setTimeout(() => this.clearTyping(chatId, true), idleMs) });
  }

  /** The user stopped typing (sent, cleared the composer, left the chat). */
  stopTyping(chatId: string): void {
    this.clearTyping(chatId, true);
  }

  // ------------------------------------------------------------------ internals

  private clearTyping(chatId: string, notify = false) {
    const state = this.typingState.get(chatId);
    if (!state) return;
    clearTimeout(state.idle);
    this.typingState.delete(chatId);
    if (notify) this.fireAndForget({ action: 'typing', chatId, isTyping: false });
  }

  private fireAndForget(frame: Record<string, unknown>) {
    if (this.ws?.readyState !== OPEN) return;
    this.ws.send(JSON.stringify(frame));
    this.armKeepalive();
  }

  private transmit(entry: Pending) {
    const ws = this.ws;
    if (ws?.readyState !== OPEN || entry.sentOn === ws) return;
    entry.sentOn = ws;
    ws.send(entry.frame);
    this.armKeepalive();
  }

  private async dial(): Promise<void> {
    let url: string;
    this.dialing = true;
    try {
      const token = await resolveToken(this.options.token);
      url = `${this.options.url}${this.options.url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token ?? '')}`;
    } catch (error) {
      this.dialFailed(`token: ${error instanceof Error ? error.message : String(error)}`);
      return;
    } finally {
      this.dialing = false;
    }
    if (!this.wanted) return;
    if (!this.ws) this.setState({ state: this.everOpened ? 'reconnecting' : 'connecting', attempt: this.attempt || undefined });
    const ws = new this.WebSocketImpl(url);
    this.candidate = ws;
    ws.addEventListener('open', () => {
      if (this.candidate !== ws || !this.wanted) return ws.close(1000, 'superseded');
      this.candidate = undefined;
      const previous = this.ws;
      this.ws = ws;
      previous?.close(1000, 'replaced');
      this.opened();
    });
    // Frames from a connection being replaced still count until it closes.
    ws.addEventListener('message', (event: { data: unknown }) => this.receive(event.data));
    ws.addEventListener('close', (event: { code?: number; reason?: string }) => {
      const reason = `${event.code ?? ''} ${event.reason ?? ''}`.trim();
      if (ws === this.candidate) {
        this.candidate = undefined;
        if (this.ws?.readyState === OPEN) this.scheduleCycle();
        else this.dialFailed(reason);
      } else if (ws === this.ws) {
        this.ws = undefined;
        this.lost(reason);
      }
    });
    ws.addEventListener('error', () => undefined); // a close event follows
  }

  private dialFailed(reason: string) {
    if (!this.everOpened && this.firstOpen) {
      this.wanted = false;
      this.firstOpen.reject(new ChatSocketError('connect_failed', `Could not open the WebSocket (${reason || 'refused'}).`));
      this.firstOpen = undefined;
      this.setState({ state: 'closed', reason });
      return;
    }
    this.lost(reason);
  }

  private opened() {
    const reconnected = this.everOpened;
    this.everOpened = true;
    this.attempt = 0;
    this.scheduleCycle(this.options.maxConnectionAgeMs);
    this.armKeepalive();
    this.setState({ state: 'open' });
    this.firstOpen?.resolve();
    this.firstOpen = undefined;
    for (const entry of this.pending.values()) this.transmit(entry);
    if (reconnected) void this.catchUp();
  }

  private lost(reason: string) {
    this.stopTimers();
    for (const chatId of [...this.typingState.keys()]) this.clearTyping(chatId);
    if (!this.wanted) return;
    const attempt = ++this.attempt;
    const { initialMs = 500, maxMs = 30_000 } = this.options.backoff ?? {};
    const delayMs = Math.round(this.random() * Math.min(maxMs, initialMs * 2 ** (attempt - 1)));
    this.setState({ state: 'reconnecting', attempt, delayMs, reason });
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.dial(), delayMs);
  }

  /** Make-before-break: dial a new connection while the current one stays open. */
  private scheduleCycle(delayMs = this.options.backoff?.initialMs ?? 500) {
    clearTimeout(this.maxAgeTimer);
    this.maxAgeTimer = setTimeout(() => {
      if (this.wanted && !this.candidate && this.ws?.readyState === OPEN) void this.dial();
    }, delayMs);
  }

  private armKeepalive() {
    clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = setTimeout(() => this.fireAndForget({ action: 'ping' }), this.options.keepaliveMs);
  }

  private stopTimers() {
    clearTimeout(this.keepaliveTimer);
    clearTimeout(this.maxAgeTimer);
  }

  private failPending(error: Error) {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      this.pending.delete(id);
      entry.reject(error);
    }
  }

  private receive(data: unknown) {
    let frame: { type?: string; requestId?: string | number; [key: string]: unknown };
    try {
      frame = JSON.parse(typeof data === 'string' ? data : String(data));
    } catch {
      return; // not ours: the API only sends JSON
    }
    if (!frame || typeof frame !== 'object' || typeof frame.type !== 'string') return;
    const pending = frame.requestId === undefined ? undefined : this.pending.get(String(frame.requestId));
    if (pending) {
      this.pending.delete(String(frame.requestId));
      clearTimeout(pending.timer);
      if (frame.type === 'error') {
        pending.reject(new ChatSocketError(String(frame.code), String(frame.detail ?? frame.message), typeof frame.retryAfter === 'number' ? frame.retryAfter : undefined));
      } else pending.resolve(frame);
      return;
    }
    if (frame.type === 'ack' || frame.type === 'pong') return;
    if (frame.type === 'message.new') {
      const event = frame as unknown as ServerFrameMap['message.new'];
      if (!this.remember(event.chatId, event.message)) return;
    }
    this.emit(frame.type as keyof SocketEventMap, frame as never);
  }

  /** Records a message as seen; false if it was seen before. */
  private remember(chatId: string, message: Message): boolean {
    let cursor = this.cursors.get(chatId);
    if (!cursor) this.cursors.set(chatId, (cursor = { contiguous: message.seq - 1, above: new Set(), ids: new Set() }));
    if (cursor.ids.has(message.id)) return false;
    cursor.ids.add(message.id);
    if (cursor.ids.size > SEEN_PER_CHAT) cursor.ids.delete(cursor.ids.values().next().value as string);
    if (message.seq > cursor.contiguous) {
      cursor.above.add(message.seq);
      this.advance(cursor);
    }
    return true;
  }

  private advance(cursor: ChatCursor) {
    for (const seq of cursor.above) if (seq <= cursor.contiguous) cursor.above.delete(seq);
    while (cursor.above.delete(cursor.contiguous + 1)) cursor.contiguous++;
  }

  private async catchUp() {
    const result: CaughtUpEvent = { chats: 0, messages: 0, dropped: [] };
    const api = this.options.api;
    if (api) {
      for (const [chatId, cursor] of [...this.cursors]) {
        result.chats++;
        let after = cursor.contiguous;
        try {
          for (;;) {
            const page = await api.listMessages(chatId, { after, limit: CATCH_UP_PAGE });
            for (const message of page.messages) {
              after = Math.max(after, message.seq);
              if (this.remember(chatId, message)) {
                result.messages++;
                this.emit('message.new', { type: 'message.new', chatId, message, at: message.createdAt, catchUp: true });
              }
            }
            if (!page.hasMore || page.messages.length === 0) break;
          }
          // The server listed every message above the cursor: a seq still missing below `after` does not
          // exist (the API keeps seqs gap-free, but a client must not stall on a hole if one ever appears).
          const current = this.cursors.get(chatId);
          if (current && after > current.contiguous) {
            current.contiguous = after;
            this.advance(current);
          }
        } catch (error) {
          const status = (error as { status?: number }).status;
          if (status === 404 || status === 403) {
            this.cursors.delete(chatId);
            result.dropped.push(chatId);
          }
          // Other failures (network, 503): the cursor stays, the next reconnect retries.
        }
      }
    }
    this.emit('caughtUp', result);
  }

  private setState(event: StatusEvent) {
    this.currentState = event.state;
    this.emit('status', event);
  }

  private emit<K extends keyof SocketEventMap>(type: K, event: SocketEventMap[K]) {
    for (const handler of [...(this.listeners.get(type) ?? [])]) {
      try {
        handler(event);
      } catch (error) {
        // A listener's bug must not break delivery to the others; surface it like an uncaught error.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
