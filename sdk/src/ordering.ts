/**
 * Per-chat seq order for `message.new` (SPEC §3: seq is per chat, starts at
 * 1, strictly increasing; §7: the SDK's "message view per chat is always in
 * seq order, without gaps it has not fetched").
 *
 * Live events can overtake each other: every fan-out is its own Lambda
 * invocation, so message 8 may reach a client before message 7. The
 * orderer keeps, per chat, `contiguous` (every seq ≤ it has been emitted or
 * was known to the app) and holds a message that arrives ahead of a missing
 * seq. If the gap is not filled by live events within `holdMs` (default
 * 250 ms), it fetches `GET …/messages?after=<contiguous>` and emits the
 * missing and held messages in seq order: a gap is filled well within a
 * second, without waiting for a reconnect.
 *
 * - A seq the server does not list for the caller (the fetch went past it)
 *   does not exist for them: the cursor moves over it, nothing stalls.
 * - Fetch failures retry with backoff; after `maxHoldMs` (10 s) without
 *   success the held messages are emitted in seq order anyway (a chat never
 *   freezes because its history endpoint is down). A 404/403 means the
 *   caller can no longer read the chat: what is held is emitted and the chat
 *   is no longer tracked.
 * - Messages are de-duplicated by id (the last {@link SEEN_PER_CHAT} per
 *   chat): a message that arrives live, by sync and by a fetch is emitted
 *   once.
 * - A message below `contiguous` that was never emitted (older than what
 *   the app loaded, or a late copy) is emitted at once: apps insert by seq.
 */
import type { Message, ServerFrameMap } from './generated.js';

/** A `message.new` as the socket emits it; `catchUp` marks messages fetched rather than received live. */
export type OrderedMessageEvent = ServerFrameMap['message.new'] & { at?: string; catchUp?: boolean };

/** Where missing messages come from (a `ChatClient` fits). */
export interface GapSource {
  listMessages(chatId: string, query?: { after?: number; limit?: number }): Promise<{ messages: Message[]; hasMore: boolean }>;
}

export interface SeqOrdererOptions {
  /** Source of missing messages; without it, held messages are released in order after `holdMs`. */
  source?: GapSource;
  /** Receives every message.new, per chat in seq order. */
  emit: (event: OrderedMessageEvent) => void;
  /** Called when a fetch answered 404/403: the caller may no longer read the chat. */
  dropped?: (chatId: string) => void;
  /** How long an out-of-order message waits for live events to fill its gap before a fetch (default 250 ms). */
  holdMs?: number;
  /** After this long without a successful fetch, held messages are released in order anyway (default 10 s). */
  maxHoldMs?: number;
  /** Page size of gap fetches (default 100, the API's maximum). */
  pageSize?: number;
}

/** Message ids remembered per chat for de-duplication. */
export const SEEN_PER_CHAT = 1_000;
const MAX_RETRY_MS = 2_000;

interface Line {
  contiguous: number;
  held: Map<number, OrderedMessageEvent>;
  ids: Set<string>;
  timer?: ReturnType<typeof setTimeout>;
  fetching?: Promise<number>;
  heldSince?: number;
  failures: number;
}

const statusOf = (error: unknown) => (error as { status?: number } | undefined)?.status;

/** Of two copies of one message, the later state (SPEC §6: the latest `editedAt`/`deletedAt` wins; a delete is final). */
export function laterMessage(a: Message, b: Message): Message {
  if (a.deletedAt && !b.deletedAt) return a;
  if (b.deletedAt && !a.deletedAt) return b;
  return (a.editedAt ?? '') > (b.editedAt ?? '') ? a : b;
}

export class SeqOrderer {
  private readonly lines = new Map<string, Line>();
  private readonly holdMs: number;
  private readonly maxHoldMs: number;
  private readonly pageSize: number;

  constructor(private readonly options: SeqOrdererOptions) {
    this.holdMs = options.holdMs ?? 250;
    this.maxHoldMs = options.maxHoldMs ?? 10_000;
    this.pageSize = options.pageSize ?? 100;
  }

  /** The app holds `chatId` up to `seq` (e.g. loaded history): order starts there. Never moves backwards. */
  track(chatId: string, seq: number): void {
    const line = this.lines.get(chatId);
    if (!line) {
      this.lines.set(chatId, { contiguous: seq, held: new Map(), ids: new Set(), failures: 0 });
      return;
    }
    if (seq <= line.contiguous) return;
    // Held messages the app now has from history are still emitted (apps upsert by id), in order.
    for (const s of [...line.held.keys()].sort((a, b) => a - b)) {
      if (s > seq) break;
      this.release(line, s);
    }
    line.contiguous = seq;
    this.drain(line);
  }

  untrack(chatId: string): void {
    const line = this.lines.get(chatId);
    if (line) clearTimeout(line.timer);
    this.lines.delete(chatId);
  }

  /** Tracked chats. */
  chats(): string[] {
    return [...this.lines.keys()];
  }

  /** The seq up to which nothing is missing, if tracked. */
  lastSeq(chatId: string): number | undefined {
    return this.lines.get(chatId)?.contiguous;
  }

  /** Whether a message with this id was accepted (emitted or held) in `chatId`, among the last remembered. */
  seen(chatId: string, messageId: string): boolean {
    return this.lines.get(chatId)?.ids.has(messageId) ?? false;
  }

  /** Messages held back in `chatId`, waiting for a gap (for diagnostics and tests). */
  heldSeqs(chatId: string): number[] {
    return [...(this.lines.get(chatId)?.held.keys() ?? [])].sort((a, b) => a - b);
  }

  /** A message.new arrived (live or by sync). Emits it now or holds it; false if its id was seen. */
  accept(event: OrderedMessageEvent): boolean {
    const { chatId, message } = event;
    let line = this.lines.get(chatId);
    // First sight of an untracked chat: the app loaded nothing of it, so nothing before this message is missing.
    if (!line) this.lines.set(chatId, (line = { contiguous: message.seq - 1, held: new Map(), ids: new Set(), failures: 0 }));
    if (line.ids.has(message.id) || line.held.has(message.seq)) return false;
    this.remember(line, message.id);
    if (message.seq <= line.contiguous) {
      this.options.emit(event);
    } else if (message.seq === line.contiguous + 1) {
      this.options.emit(event);
      line.contiguous = message.seq;
      this.drain(line);
    } else {
      line.held.set(message.seq, event);
      line.heldSince ??= Date.now();
      this.schedule(chatId, line, this.holdMs);
    }
    return true;
  }

  /**
   * Applies a change (edit, delete, reaction, pin) to a message that is
   * held; true if it was held (the change is then emitted as part of the
   * message when it is released, not separately).
   */
  fold(chatId: string, messageId: string, change: (message: Message) => Message): boolean {
    const line = this.lines.get(chatId);
    if (!line) return false;
    for (const [seq, event] of line.held) {
      if (event.message.id !== messageId) continue;
      line.held.set(seq, { ...event, message: change(event.message) });
      return true;
    }
    return false;
  }

  /**
   * Fetches everything above `contiguous` (all of it, not just up to a
   * gap) and emits it in order: the catch-up after a reconnect when the
   * server has no sync. Resolves with the number of messages emitted.
   * Throws what the source throws (after releasing and untracking on 404/403).
   */
  catchUp(chatId: string): Promise<number> {
    const line = this.lines.get(chatId);
    if (!line) return Promise.resolve(0);
    return this.fetchAbove(chatId, line, Number.POSITIVE_INFINITY);
  }

  /** Fetches the gaps of every chat that holds messages now (e.g. right after a reconnect). */
  retryGaps(): void {
    for (const [chatId, line] of this.lines) if (line.held.size) this.schedule(chatId, line, 0);
  }

  /** Stops every timer (the socket was closed). Held messages stay held. */
  dispose(): void {
    for (const line of this.lines.values()) {
      clearTimeout(line.timer);
      line.timer = undefined;
    }
  }

  // ------------------------------------------------------------------ internals

  private remember(line: Line, id: string) {
    line.ids.add(id);
    if (line.ids.size > SEEN_PER_CHAT) line.ids.delete(line.ids.values().next().value as string);
  }

  private release(line: Line, seq: number) {
    const event = line.held.get(seq);
    if (!event) return;
    line.held.delete(seq);
    this.options.emit(event);
  }

  private drain(line: Line) {
    while (line.held.has(line.contiguous + 1)) this.release(line, ++line.contiguous);
    // A held message at or below contiguous (the cursor jumped over it): emit it rather than keep it forever.
    for (const seq of [...line.held.keys()].sort((a, b) => a - b)) if (seq <= line.contiguous) this.release(line, seq);
    if (line.held.size === 0) {
      clearTimeout(line.timer);
      line.timer = undefined;
      line.heldSince = undefined;
      line.failures = 0;
    }
  }

  /** Emits everything held, in seq order, and moves the cursor past it (no fetch possible or it kept failing). */
  private releaseAll(line: Line) {
    const seqs = [...line.held.keys()].sort((a, b) => a - b);
    for (const seq of seqs) this.release(line, seq);
    line.contiguous = Math.max(line.contiguous, seqs.at(-1) ?? 0);
    this.drain(line);
  }

  private schedule(chatId: string, line: Line, delayMs: number) {
    if (line.timer || line.fetching) return;
    line.timer = setTimeout(() => {
      line.timer = undefined;
      void this.fillGap(chatId, line);
    }, delayMs);
  }

  private async fillGap(chatId: string, line: Line) {
    if (this.lines.get(chatId) !== line || line.held.size === 0) return;
    if (!this.options.source) return this.releaseAll(line);
    try {
      await this.fetchAbove(chatId, line, Math.max(...line.held.keys()));
    } catch (error) {
      const status = statusOf(error);
      if (status === 404 || status === 403) return;
      line.failures++;
      if (Date.now() - (line.heldSince ?? Date.now()) >= this.maxHoldMs) return this.releaseAll(line);
      this.schedule(chatId, line, Math.min(MAX_RETRY_MS, this.holdMs * 2 ** line.failures));
      return;
    }
    // New out-of-order arrivals during the fetch: their gap gets its own wait.
    if (line.held.size && this.lines.get(chatId) === line) this.schedule(chatId, line, this.holdMs);
  }

  /** Pages `after=contiguous` until past `target` (or the end), then emits fetched and held messages in order. */
  private fetchAbove(chatId: string, line: Line, target: number): Promise<number> {
    // One fetch at a time per chat; a wider one asked for meanwhile runs after it.
    if (line.fetching) return line.fetching.catch(() => 0).then(() => (this.lines.get(chatId) === line ? this.fetchAbove(chatId, line, target) : 0));
    const source = this.options.source;
    if (!source) return Promise.resolve(0);
    const run = async () => {
      let after = line.contiguous;
      let fetched = 0;
      try {
        for (;;) {
          const page = await source.listMessages(chatId, { after, limit: this.pageSize });
          for (const message of page.messages) {
            after = Math.max(after, message.seq);
            const held = line.held.get(message.seq);
            if (held) {
              // The fetched copy is the server's current state; keep changes folded in since, if later.
              line.held.set(message.seq, { ...held, message: laterMessage(held.message, message) });
            } else if (message.seq > line.contiguous && !line.ids.has(message.id)) {
              this.remember(line, message.id);
              line.held.set(message.seq, { type: 'message.new', chatId, message, at: message.createdAt, catchUp: true });
              fetched++;
            }
          }
          if (!page.hasMore || page.messages.length === 0 || after >= target) break;
        }
      } catch (error) {
        const status = statusOf(error);
        if (status === 404 || status === 403) {
          this.releaseAll(line);
          this.untrack(chatId);
          this.options.dropped?.(chatId);
        }
        throw error;
      }
      if (this.lines.get(chatId) !== line) return fetched;
      // Everything up to `after` is listed now: a seq still missing below it does not exist for this caller.
      for (const seq of [...line.held.keys()].sort((a, b) => a - b)) if (seq <= after) this.release(line, seq);
      line.contiguous = Math.max(line.contiguous, after);
      this.drain(line);
      return fetched;
    };
    line.fetching = run().finally(() => (line.fetching = undefined));
    return line.fetching;
  }
}
