/**
 * `ChatSocket`: the WebSocket API with the reliability a chat UI needs, so
 * applications only handle typed events.
 *
 * - Auto-reconnect with exponential backoff and full jitter after any drop.
 * - Keepalive: a `ping` after `keepaliveMs` without a client frame, under API
 *   Gateway's 10-minute idle timeout.
 * - Reconnects before API Gateway's 2-hour connection cap, make-before-break
 *   (the new connection opens before the old one is closed).
 * - Sync on connect and after every reconnect (SPEC §7, `sync.ts`): one
 *   `GET /v1/sync` from the stored cursor (pluggable store,
 *   `cursor-store.ts`), paged while `hasMore`; every event is emitted as if
 *   live (`catchUp: true`). On 410 `sync_expired` it takes a fresh cursor and
 *   emits `syncExpired` (the app reloads). Against a server without sync it
 *   falls back to paging `GET …/messages?after=` per tracked chat.
 * - Idempotent events (SPEC §6, `freshness.ts`): a repeated or older copy of
 *   an event is not emitted, so applying every emitted event never regresses.
 * - Seq order per chat (`ordering.ts`): a `message.new` ahead of a missing
 *   seq is held, and the gap is fetched (`after=`) after `gap.holdMs`
 *   (250 ms) unless live events fill it first; de-duplicated by id.
 * - Ordered sends (`send-queue.ts`): `sendMessage` sends one message per chat
 *   at a time, in call order, over the socket when it is open and over HTTP
 *   otherwise (or when an answer times out, with the same
 *   `clientMessageId`); different chats are sent concurrently.
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
import { MemoryCursorStore, type SyncCursorStore } from './cursor-store.js';
import { ChatSocketError } from './errors.js';
import { EventLedger } from './freshness.js';
import { WS_LIMITS, type ActionAnswerMap, type ActionFrameMap, type Chat, type Message, type ServerFrameMap } from './generated.js';
import { newClientMessageId, resolveToken, type TokenSource } from './http.js';
import { SeqOrderer, type GapSource, type OrderedMessageEvent } from './ordering.js';
import { applyChange, EarlyChanges, MESSAGE_CHANGES } from './message-changes.js';
import { KeyedQueue } from './send-queue.js';
import type { ChatStore } from './store.js';
import { runSync, type SyncResult, type SyncSource, type SyncedEvent } from './sync.js';

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

/** Emitted after every sync (on connect and after every reconnect). */
export type SyncedSocketEvent = SyncResult;

/** Emitted after 410 `sync_expired`: events were lost; reload the chat list and open chats (a fresh cursor is already taken). */
export interface SyncExpiredEvent {
  reason: 'sync_expired';
}

/** Server events as the socket emits them: `at` (SPEC §6) and `catchUp` (delivered by sync or a fetch, not live). */
type Emitted<E> = E & { at?: string; catchUp?: boolean };

/** Everything `on()` can listen to: server events (acks and pongs are consumed by the socket) plus lifecycle events. */
export type SocketEventMap = { [K in Exclude<keyof ServerFrameMap, 'ack' | 'pong' | 'error'>]: Emitted<ServerFrameMap[K]> } & {
  error: ServerFrameMap['error'];
  status: StatusEvent;
  caughtUp: CaughtUpEvent;
  synced: SyncedSocketEvent;
  syncExpired: SyncExpiredEvent;
};

type ActionPayload<A extends keyof ActionFrameMap> = Omit<ActionFrameMap[A], 'action' | 'requestId'>;

/** What catch-up and gap filling need from the HTTP client (a `ChatClient` fits). */
export type CatchUpSource = GapSource;

/** HTTP sends, for `sendMessage` while the socket is not open (a `ChatClient` fits). */
export interface SendSource {
  sendMessage(chatId: string, body: Omit<ActionPayload<'sendMessage'>, 'chatId' | 'to'>): Promise<{ message: Message }>;
  sendToUser?(body: Omit<ActionPayload<'sendMessage'>, 'chatId'> & { to: string }): Promise<{ message: Message; chat?: Chat }>;
}

/** Re-reads a chat (participant names after a membership change), for the `store` (a `ChatClient` fits). */
export interface ChatSource {
  getChat(chatId: string): Promise<{ chat: Chat }>;
}

/** The HTTP client the socket uses: every part optional (a `ChatClient` has them all). */
export type SocketApi = CatchUpSource & Partial<SendSource> & Partial<SyncSource> & Partial<ChatSource>;

export interface ChatSocketOptions {
  /** `ws://127.0.0.1:3000/ws` locally; the stack's WebSocket stage URL on AWS. The token is appended as `?token=`. */
  url: string;
  /** Called before every (re)connect, so a refreshed token is used. */
  token: TokenSource;
  /**
   * The HTTP client (a `ChatClient`): sync (`sync`), gap fetches and the
   * fallback catch-up (`listMessages`), sends while the socket is not open
   * (`sendMessage`, `sendToUser`). Without it there is no catch-up.
   */
  api?: SocketApi;
  /** Where the sync cursor is kept (default: memory). Key it per user: a cursor belongs to its user. */
  cursorStore?: SyncCursorStore;
  /** Events per sync page (default 500, the API's maximum). */
  syncPageSize?: number;
  /** Out-of-order messages: wait `holdMs` (250 ms) for live events before fetching the gap; release in order after `maxHoldMs` (10 s) of failed fetches. */
  gap?: { holdMs?: number; maxHoldMs?: number };
  /** The caller's user id (default: the token's `sub`): the socket stops tracking a chat the caller was removed from. */
  userId?: string;
  /**
   * A replica to keep current (`store.ts`): every emitted server event is
   * applied to it before listeners run; after a membership change the chat
   * is re-read (`api.getChat`) for participant names.
   */
  store?: ChatStore;
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


interface Pending {
  frame: string;
  resolve: (answer: any) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  sentOn?: WebSocketLike;
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
  private readonly orderer: SeqOrderer;
  private readonly ledger: EventLedger;
  private readonly sends = new KeyedQueue();
  private readonly cursorStore: SyncCursorStore;
  /** Set when the server has no `GET /v1/sync` (404): catch up per chat instead. */
  private syncUnsupported = false;
  private syncing?: Promise<void>;
  private syncAgain = false;
  /** Changes that arrived before their message, folded in when it arrives. */
  private readonly early = new EarlyChanges();
  private me?: string;
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
    this.me = options.userId;
    this.cursorStore = options.cursorStore ?? new MemoryCursorStore();
    this.ledger = new EventLedger({ me: () => this.me });
    this.orderer = new SeqOrderer({
      source: options.api,
      holdMs: options.gap?.holdMs,
      maxHoldMs: options.gap?.maxHoldMs,
      emit: (event) => this.deliver(event as unknown as SyncedEvent),
    });
  }

  get state(): SocketState {
    return this.currentState;
  }

  /**
   * Opens the connection. Resolves when it is open and the first sync is
   * done (with a stored cursor: caught up; without: a cursor for "now" is
   * taken, so load chats after this resolves and nothing falls between the
   * load and the cursor). Rejects with
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
    this.orderer.dispose();
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
   * loading history), so ordering and catch-up start there. Never moves backwards.
   */
  track(chatId: string, seq: number): void {
    this.orderer.track(chatId, seq);
  }

  /** Stops tracking `chatId` (e.g. the user left it). */
  untrack(chatId: string): void {
    this.orderer.untrack(chatId);
  }

  /** The seq up to which nothing is missing in `chatId`, if tracked. */
  lastSeq(chatId: string): number | undefined {
    return this.orderer.lastSeq(chatId);
  }

  /** Seqs of `chatId` held back until a gap before them is filled (normally empty; for diagnostics). */
  heldSeqs(chatId: string): number[] {
    return this.orderer.heldSeqs(chatId);
  }

  /**
   * Syncs now (it also runs on every (re)connect). Concurrent calls share
   * one run; a call during a run runs once more after it. Resolves when done;
   * never rejects (failures keep the cursor, the next sync retries).
   */
  sync(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      do {
        this.syncAgain = false;
        await this.syncOnce();
      } while (this.syncAgain);
    })().finally(() => (this.syncing = undefined));
    return this.syncing;
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
   * after a reconnect (or over HTTP after a timeout) stores it once.
   *
   * Order: the sends of one chat go one at a time in call order (the next
   * leaves when the previous is answered), so they are stored in the order
   * the app called this; sends to different chats run concurrently. A failed
   * send does not hold back the ones after it. Transport: the socket while
   * it is open, else HTTP (`api.sendMessage`/`api.sendToUser`); the order
   * holds across both. Sends with `to` are ordered among themselves per
   * recipient.
   */
  sendMessage(payload: ActionPayload<'sendMessage'>): Promise<Message> {
    if (payload.chatId) this.clearTyping(payload.chatId, true);
    const frame = { ...payload, clientMessageId: payload.clientMessageId ?? newClientMessageId() };
    const key = payload.chatId ? `chat:${payload.chatId}` : `to:${payload.to ?? ''}`;
    return this.sends.run(key, () => this.deliverSend(frame));
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

  private async deliverSend(frame: ActionPayload<'sendMessage'> & { clientMessageId: string }): Promise<Message> {
    const api = this.options.api;
    const http = Boolean(frame.chatId ? api?.sendMessage : api?.sendToUser);
    if (http && this.currentState !== 'open') return this.httpSend(frame);
    try {
      const ack = await this.request('sendMessage', frame);
      return ack.message;
    } catch (error) {
      // No answer in time: it may or may not be stored. Repeating it over HTTP with the same clientMessageId
      // answers which (the first message, or the message stored now) before the next send of the chat leaves.
      if (http && error instanceof ChatSocketError && error.code === 'timeout') return this.httpSend(frame);
      throw error;
    }
  }

  private async httpSend(frame: ActionPayload<'sendMessage'> & { clientMessageId: string }): Promise<Message> {
    const api = this.options.api as SocketApi;
    const { chatId, to, ...body } = frame;
    if (chatId) return (await api.sendMessage!(chatId, body)).message;
    return (await api.sendToUser!({ ...body, to: to! })).message;
  }

  /** An event from the socket or from sync: drop repeats and older copies, keep seq order, then emit. */
  private ingest(event: SyncedEvent, catchUp: boolean) {
    const tagged = catchUp ? { ...event, catchUp: true } : event;
    if (event.type === 'message.new') {
      this.orderer.accept(tagged as unknown as OrderedMessageEvent);
      return;
    }
    if (!this.ledger.admit(event)) return;
    const chatId = String(event.chatId ?? '');
    if (MESSAGE_CHANGES.has(event.type)) {
      const messageId = String(event.messageId ?? (event.message as Message | undefined)?.id ?? '');
      if (this.orderer.fold(chatId, messageId, (message) => applyChange(message, event))) return;
      // A change of a message not seen yet (its message.new comes later, e.g. by sync): remember it, so the
      // message is emitted in its latest state. The change is emitted too: the app may hold it from history.
      if (!this.orderer.seen(chatId, messageId)) this.early.remember(chatId, messageId, event);
    }
    if (event.type === 'participant.removed' && event.userId === this.me) this.orderer.untrack(chatId);
    this.deliver(tagged);
  }

  /** Applies an admitted event to the store, then emits it. */
  private deliver(event: SyncedEvent) {
    if (event.type === 'message.new') event = { ...event, message: this.early.foldInto(String(event.chatId), event.message as Message) };
    const store = this.options.store;
    if (store) {
      store.apply(event);
      const chatId = String(event.chatId ?? (event.chat as { id?: string } | undefined)?.id ?? '');
      const membership = event.type === 'participants.added' || (event.type === 'participant.removed' && event.userId !== this.me);
      const bare = event.type === 'chat.created' && !(event.chat as Chat).participants;
      if ((membership || bare) && this.options.api?.getChat && store.chats.has(chatId)) this.refreshChat(chatId);
    }
    this.emit(event.type as keyof SocketEventMap, event as never);
  }

  /** Re-reads a chat into the store (participant names and roles); the caller may have lost it meanwhile (404: ignored). */
  private refreshChat(chatId: string) {
    const store = this.options.store!;
    this.options.api!.getChat!(chatId).then(
      ({ chat }) => store.putParticipantDetails(chatId, chat.participants),
      () => undefined,
    );
  }

  private async syncOnce() {
    const api = this.options.api;
    if (!api) return;
    if (!api.sync || this.syncUnsupported) return this.catchUpPerChat();
    let result: SyncResult;
    try {
      result = await runSync(api as SyncSource, this.cursorStore, (event) => this.ingest(event, true), this.options.syncPageSize ?? 500);
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404 || status === 405) {
        this.syncUnsupported = true; // a server from before SPEC §7
        return this.catchUpPerChat();
      }
      return; // network, 5xx: the cursor stays, the next reconnect (or sync()) retries
    }
    // Gaps that sync revealed (or that waited through the disconnect) are fetched now.
    this.orderer.retryGaps();
    if (result.expired) this.emit('syncExpired', { reason: 'sync_expired' });
    this.emit('synced', result);
  }

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
    this.me ??= subjectOf(url);
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
    for (const entry of this.pending.values()) this.transmit(entry);
    const firstOpen = this.firstOpen;
    this.firstOpen = undefined;
    // First connect without sync: nothing to catch up (the app loads history); with sync, the cursor is taken or used.
    const catchUp = reconnected || this.options.api?.sync ? this.sync() : Promise.resolve();
    void catchUp.then(() => firstOpen?.resolve());
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
    this.ingest(frame as SyncedEvent, false);
  }

  /** Catch-up without sync (a server from before SPEC §7): every tracked chat from its last contiguous seq. */
  private async catchUpPerChat() {
    const result: CaughtUpEvent = { chats: 0, messages: 0, dropped: [] };
    for (const chatId of this.orderer.chats()) {
      result.chats++;
      try {
        result.messages += await this.orderer.catchUp(chatId);
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (status === 404 || status === 403) result.dropped.push(chatId);
        // Other failures (network, 503): the cursor stays, the next reconnect retries.
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

/** The `sub` claim of the JWT in a WebSocket URL's `token`, if readable (it is only used to recognise the caller's own removal). */
function subjectOf(url: string): string | undefined {
  try {
    const token = new URL(url).searchParams.get('token') ?? '';
    const payload = token.split('.')[1];
    if (!payload) return undefined;
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof json.sub === 'string' ? json.sub : undefined;
  } catch {
    return undefined;
  }
}
