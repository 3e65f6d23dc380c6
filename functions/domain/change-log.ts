/**
 * The one place events are published (SPEC §6, §7): every event the domain
 * emits goes through this `Notifier`, which stamps `at`, records the event
 * in the change log that `GET /v1/sync` reads, and hands it to the delivery
 * (`lib/delivery.ts`, `@connections`). A feature that emits its events
 * through `ctx.notifier` (pins, bans, freezes, erasure) is in sync without
 * doing anything more.
 *
 * Where an event is recorded:
 * | event | log |
 * |---|---|
 * | `typing`, `presence` | nowhere (SPEC §7 leaves them out) |
 * | `membership.updated` | each recipient's user log |
 * | `participant.removed` | the chat's log, and the removed user's log (they are no longer a participant, so their sync would not read the chat's) |
 * | `chat.created` / `chat.updated` to every participant the payload lists | the chat's log |
 * | the same to only some users (joiners; a previous assignee) | those users' logs |
 * | everything else (to a chat) | the chat's log |
 *
 * A chat-log entry keeps the `hide` its delivery was given (SPEC §9), so a
 * sync shows each blocker what they were shown live (`domain/sync.ts`).
 *
 * Change ids are ULIDs of the recording time. A reader must be able to
 * trust that once its clock passes an id's time by `SETTLE_MS`, that entry
 * is visible: so a recording that took longer than `SETTLE_MS - CLOCK_SKEW_MS`
 * (a throttled write, a stalled function) is recorded again under a fresh
 * id. The first copy stays; a client may see the event twice, which SPEC §7
 * allows (applying an event twice changes nothing). Readers never move a
 * cursor past `now - SETTLE_MS` (`domain/sync.ts`).
 *
 * The chat's head (`changedAt`, next to `updatedAt`, which sends and chat
 * changes move anyway) tells a sync which chats changed. It needs to be
 * exact only to `HEAD_SLACK_MS`: the head is written only when the chat
 * item the emitter read shows no change in the last `HEAD_SLACK_MS / 2`, so
 * a burst of reactions or read markers in a busy chat costs one log write
 * each and no head write. Whatever writes the head, it moves forward only.
 *
 * The head rides on a write of the chat item the change makes anyway: an
 * edit or delete of the chat's last message replaces the chat's preview
 * and sets `changedAt` in that same UpdateItem (`ChatStore.replacePreview`
 * with a head; `domain/messages.ts` `ridePreview`), then emits to the chat
 * as that write left it (`ChatAudience.changedAt`), so no head write
 * follows. Why riding keeps every change discoverable (a reader with cursor
 * c reads every chat whose head is ≥ c - `HEAD_SLACK_MS`, `domain/sync.ts`):
 * - the ridden head moves forward only (conditional on `changedAt <
 *   :head`; a later head a concurrent change wrote stays), as `touchChat`'s,
 *   so no write ever hides a change the head already covered;
 * - it is stored before the change is recorded (the domain awaits the
 *   write before it emits), so it is visible whenever the entry is;
 * - its value h comes from the same clock as the entry's id t, taken
 *   before, and the log still checks it like a head it read: if t - h >
 *   `HEAD_SLACK_MS / 2` (a stall between the write and the emit, or a
 *   recording again under a fresh id) it writes the head itself. So, as
 *   without riding, every entry has a head ≥ t - `HEAD_SLACK_MS / 2` by the
 *   time it is visible, which leaves a reader (cursor c < t) `HEAD_SLACK_MS
 *   / 2` for `CLOCK_SKEW_MS`;
 * - when the conditional write did not apply (the preview shows another
 *   message: a send got there first), the audience is the chat as read and
 *   the rule above decides.
 * A change that writes no chat item (a reaction, a read marker, an edit of
 * an older message) costs the entry and, in a quiet chat, the head: two
 * writes. That is the floor of this read side: an empty sync learns which
 * chats changed from ⌈C/100⌉ BatchGetItem of fixed keys, so some fixed-key
 * item per chat must change, and the entry must be durable for the sync
 * window on its own (README "Sync: the change log").
 */
import { monotonicFactory } from 'ulid';
import type { ChangeEntry, ChangeStore, ChatAudience, EventInput, HiddenFrom, Notifier, OfflineNotice, ServerEvent } from './ports';

/** A change is visible to every reader this long after its id's time (see above). */
export const SETTLE_MS = 3_000;
/** Tolerated clock difference between functions (Lambda clocks are NTP-synchronised to milliseconds). */
export const CLOCK_SKEW_MS = 1_000;
/** How far a chat's head may lag its latest change (see above); a sync reads a chat whose head is at most this much before its cursor. */
export const HEAD_SLACK_MS = 10_000;

export interface ChangeLogOptions {
  changes: ChangeStore;
  /** The clock change ids and `at` come from (the domain's `ctx.now`). */
  now: () => Date;
  /** SPEC §5 sync window: how long entries are kept (DynamoDB TTL). */
  windowSeconds: number;
  /** A recording failed for good (the change itself is stored; the event reached live clients). */
  onError?: (error: unknown, event: ServerEvent) => void;
}

const UNLOGGED = new Set<string>(['typing', 'presence']);

/** Stamps `at` (the time of the change) on an event that does not carry it yet. */
function stamp(event: EventInput, at: string): ServerEvent {
  if (UNLOGGED.has(event.type) || (event as { at?: string }).at) return event as ServerEvent;
  return { ...event, at } as ServerEvent;
}

/** The chat an event is about, if any. */
function chatIdOf(event: ServerEvent): string | undefined {
  if ('chatId' in event && typeof event.chatId === 'string') return event.chatId;
  if ('chat' in event && event.chat) return event.chat.id;
  return undefined;
}

/** The time the chat item says it last changed, as the emitter read it. */
function knownHead(chat: ChatAudience | undefined, event: ServerEvent): string {
  const candidates = [chat?.changedAt, (chat as { updatedAt?: string } | undefined)?.updatedAt];
  if ('chat' in event && event.chat) candidates.push(event.chat.updatedAt);
  if (event.type === 'message.new') candidates.push(event.message.createdAt);
  return candidates.filter((c): c is string => typeof c === 'string').sort().at(-1) ?? '';
}

/** Wraps a delivery `Notifier` so that every event is stamped and recorded before (in parallel with) delivery. */
export function withChangeLog(delivery: Notifier, options: ChangeLogOptions): Notifier {
  const nextId = monotonicFactory();

  /** Where one event goes: the chat's log, users' logs, or both. */
  type Target = { chatId?: string; userIds?: readonly string[]; chat?: ChatAudience; hide?: HiddenFrom };

  async function recordOnce(event: ServerEvent, target: Target, startedAt: number): Promise<number> {
    const id = nextId(startedAt);
    const entry: ChangeEntry = { id, event, expiresAt: Math.floor(startedAt / 1000) + options.windowSeconds, ...(target.hide && (target.hide.sender?.length || target.hide.reply?.length) ? { hide: target.hide } : {}) };
    const writes: Promise<void>[] = [];
    if (target.chatId) {
      writes.push(options.changes.appendToChat(target.chatId, entry));
      const at = new Date(startedAt).toISOString();
      if (knownHead(target.chat, event) < new Date(startedAt - HEAD_SLACK_MS / 2).toISOString()) writes.push(options.changes.touchChat(target.chatId, at));
    }
    if (target.userIds && target.userIds.length > 0) writes.push(options.changes.appendToUsers(target.userIds, entry));
    await Promise.all(writes);
    return options.now().getTime() - startedAt;
  }

  /** Records the event; again under a fresh id when the first recording was too slow to be trusted (see above). */
  async function record(event: ServerEvent, target: Target): Promise<void> {
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const took = await recordOnce(event, target, options.now().getTime());
        if (took < SETTLE_MS - CLOCK_SKEW_MS) return;
      }
      throw new Error('Recording a change kept taking longer than the settle time.');
    } catch (error) {
      options.onError?.(error, event);
    }
  }

  function targetsForUsers(userIds: readonly string[], event: ServerEvent): Target[] {
    if (UNLOGGED.has(event.type)) return [];
    if (event.type === 'membership.updated') return [{ userIds }];
    if (event.type === 'participant.removed') return [{ chatId: event.chatId, userIds: [event.userId] }];
    if ('chat' in event && event.chat) {
      const listed = (event.chat.participants ?? []).map((p) => p.userId);
      const everyone = listed.length > 0 && listed.every((u) => userIds.includes(u));
      return [everyone ? { chatId: event.chat.id } : { userIds }];
    }
    const chatId = chatIdOf(event);
    return chatId ? [{ chatId }] : [];
  }

  return {
    async toChat(chat, event, opts?: { exceptUserId?: string; offline?: OfflineNotice; hide?: HiddenFrom }) {
      const at = options.now().toISOString();
      const events = (Array.isArray(event) ? event : [event]).map((e) => stamp(e, at));
      const logged = events.filter((e) => !UNLOGGED.has(e.type));
      await Promise.all([
        // In order: events of one call are one change each, in the order given.
        (async () => {
          for (const e of logged) await record(e, e.type === 'participant.removed' ? { chatId: chat.id, userIds: [e.userId], chat } : { chatId: chat.id, chat, hide: opts?.hide });
        })(),
        delivery.toChat(chat, events.length === 1 ? events[0] : events, opts),
      ]);
    },

    async toUsers(userIds, event) {
      const stamped = stamp(event, options.now().toISOString());
      await Promise.all([...targetsForUsers(userIds, stamped).map((t) => record(stamped, t)), delivery.toUsers(userIds, stamped)]);
    },

    close: (connectionId, farewell) => delivery.close(connectionId, farewell),
  };
}
