/**
 * Idempotent application of server events (SPEC §6): "applying an event
 * twice, or an older copy after a newer one, leaves the client's state as
 * applying it once". The same event can reach a client live, again from
 * `GET /v1/sync` (a cursor may repeat events at its boundary), and an older
 * copy can arrive after a newer one (a sync page after a live event, or two
 * fan-outs overtaking each other). {@link EventLedger.admit} answers whether
 * an event still changes anything; the socket emits only those, so an app
 * that applies every event it is given never regresses.
 *
 * What decides, per event (the newest version seen per key wins):
 *
 * | Event | Key | Version |
 * |---|---|---|
 * | `message.edited` | message | `message.editedAt` (then `at`); never after `message.deleted` |
 * | `message.deleted` | message | once: a delete is final |
 * | `reaction.updated` | message | `at`; equal `at` with other reactions still applies |
 * | `message.pinned` | message | `at` |
 * | `messages.read` | chat + reader | `lastReadSeq` (markers only move forward) |
 * | `chat.updated` | chat | `at` (else `chat.updatedAt`) |
 * | `chat.created` | chat | `at` |
 * | `participants.added`, `participant.removed` | chat + member | `at`; the caller's removal older than a `chat.created` is stale (they were added again) |
 * | `membership.updated` | chat | `at` |
 *
 * `message.new` is de-duplicated by id in the ordering buffer (`ordering.ts`);
 * `typing` and `presence` are ephemeral and always pass. Memory is bounded:
 * the oldest keys are forgotten past `capacity` (default 20,000).
 */

type AnyEvent = { type: string; at?: string; [key: string]: unknown };

export class EventLedger {
  private readonly versions = new Map<string, string | number>();
  private readonly reactionStates = new Map<string, Set<string>>();
  private readonly capacity: number;

  /** `me`: the caller's user id when known (matches `participant.removed` of the caller against `chat.created`). */
  constructor(options: { me?: () => string | undefined; capacity?: number } = {}) {
    this.me = options.me ?? (() => undefined);
    this.capacity = options.capacity ?? 20_000;
  }

  private readonly me: () => string | undefined;

  /** True if `event` changes state (apply and emit it); false for a repeat or an older copy. Records it. */
  admit(event: AnyEvent): boolean {
    const at = typeof event.at === 'string' ? event.at : '';
    const chatId = String(event.chatId ?? (event.chat as { id?: string } | undefined)?.id ?? '');
    switch (event.type) {
      case 'message.edited': {
        const message = event.message as { id: string; editedAt?: string };
        if (this.versions.has(`d|${chatId}|${message.id}`)) return false;
        return this.newer(`e|${chatId}|${message.id}`, message.editedAt ?? at);
      }
      case 'message.deleted': {
        const key = `d|${chatId}|${String(event.messageId)}`;
        if (this.versions.has(key)) return false;
        this.put(key, at);
        return true;
      }
      case 'reaction.updated': {
        const key = `r|${chatId}|${String(event.messageId)}`;
        const last = this.versions.get(key) as string | undefined;
        const state = stableJson(event.reactions);
        if (last !== undefined && at < last) return false;
        // Several changes can share a millisecond: each distinct state at the latest `at` applies once.
        const seen = last === at ? (this.reactionStates.get(key) ?? new Set<string>()) : new Set<string>();
        if (seen.has(state)) return false;
        seen.add(state);
        this.put(key, at);
        this.reactionStates.delete(key);
        this.reactionStates.set(key, seen);
        if (this.reactionStates.size > this.capacity) this.reactionStates.delete(this.reactionStates.keys().next().value as string);
        return true;
      }
      case 'message.pinned':
        return this.newer(`p|${chatId}|${String(event.messageId)}`, at);
      case 'messages.read':
        return this.newer(`rd|${chatId}|${String(event.userId)}`, Number(event.lastReadSeq));
      case 'chat.updated':
        return this.newer(`u|${chatId}`, at || String((event.chat as { updatedAt?: string }).updatedAt ?? ''));
      case 'membership.updated':
        return this.newer(`mu|${chatId}`, at);
      case 'chat.created':
        return this.newer(`c|${chatId}`, at);
      case 'participants.added': {
        // Applies if it is the newest news about at least one of the users (each is recorded).
        let any = false;
        for (const userId of (event.userIds as string[]) ?? []) if (this.newer(`m|${chatId}|${userId}`, at)) any = true;
        return any;
      }
      case 'participant.removed': {
        const userId = String(event.userId);
        // An older removal of the caller must not drop a chat they were added to again since.
        const created = this.versions.get(`c|${chatId}`);
        if (userId === this.me() && at && created !== undefined && (created as string) > at) return false;
        return this.newer(`m|${chatId}|${userId}`, at);
      }
      default:
        return true;
    }
  }

  /** Strictly newer than the last version under `key` (an equal version is the same change seen again). */
  private newer(key: string, version: string | number): boolean {
    // No version (a server older than SPEC §6's `at`): nothing to compare, so it applies.
    if (version === '' || Number.isNaN(version)) return true;
    const last = this.versions.get(key);
    if (last !== undefined && !(version > last)) return false;
    this.put(key, version);
    return true;
  }

  private put(key: string, version: string | number) {
    this.versions.delete(key); // re-insert: Map order is then least recently written first
    this.versions.set(key, version);
    if (this.versions.size > this.capacity) this.versions.delete(this.versions.keys().next().value as string);
  }
}

/** JSON with object keys sorted, so equal reaction maps compare equal whatever their key order. */
function stableJson(value: unknown): string {
  if (!value || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}
