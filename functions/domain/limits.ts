/**
 * Per-user rate limits (SPEC §5), one fixed one-minute window per user and
 * class, kept in DynamoDB so they hold across Lambda containers and
 * connections:
 *
 * | class | counts | default (`Limits`) | env |
 * |---|---|---|---|
 * | `messages` | sends, HTTP and WebSocket (a support chat's `initialMessage` too) | 20 | `RATE_LIMIT_PER_MINUTE` |
 * | `writes` | edits, deletes, reactions, pins, chat changes, participant removals, assignments, archive flags, attachment slots | 60 | `WRITE_RATE_LIMIT_PER_MINUTE` |
 * | `chats` | chats created (an answer with an existing chat does not count) | 10 | `CHAT_RATE_LIMIT_PER_MINUTE` |
 * | `participants` | people added to groups, one per person | 100 | `PARTICIPANT_RATE_LIMIT_PER_MINUTE` |
 *
 * Over a limit: 429 `rate_limited` with `Retry-After` (seconds to the next
 * window). Read markers are not limited. `typing` is throttled instead
 * (`typingRelayed`): one relayed per user per chat per 2 s, extras dropped.
 *
 * The stage throttle of API Gateway is shared by every caller and is no
 * per-user defence; these are. For limits per IP or per token before a
 * request reaches Lambda, see the opt-in CloudFront + WAF perimeter
 * (README "Abuse protection").
 */
import { RateLimitedError } from './errors';
import type { RateClass } from '../routes';
import type { DomainContext } from './context';

export type { RateClass };

/** SPEC §5 counts per minute. */
export const RATE_WINDOW_SECONDS = 60;

const WHAT: Record<RateClass, string> = {
  messages: 'messages',
  writes: 'writes',
  chats: 'chat creations',
  participants: 'participants added',
};

function limitOf(ctx: DomainContext, rate: RateClass): number {
  switch (rate) {
    case 'messages':
      return ctx.limits.messagesPerMinute;
    case 'writes':
      return ctx.limits.writesPerMinute;
    case 'chats':
      return ctx.limits.chatCreationsPerMinute;
    case 'participants':
      return ctx.limits.participantAddsPerMinute;
  }
}

/**
 * Takes `amount` slots (default 1) of the user's `rate` window: one
 * conditional UpdateItem. Throws 429 `rate_limited` (with `Retry-After`)
 * when they would pass the limit; nothing is counted then.
 */
export async function takeSlot(ctx: DomainContext, userId: string, rate: RateClass, amount = 1): Promise<void> {
  // Messages keep the bucket-less key they always had (one counter per user and minute).
  const bucket = rate === 'messages' ? undefined : rate;
  const result = await ctx.repo.rateLimits.take(userId, RATE_WINDOW_SECONDS, limitOf(ctx, rate), ctx.now(), { bucket, amount });
  if (!result.allowed) throw new RateLimitedError(result.retryAfterSeconds, WHAT[rate]);
}

/**
 * Runs `access` (the operation's access check) and takes a slot at the same
 * time, so the limit adds no round trip. When both fail, the access error
 * wins: a caller who may not see the chat gets its 404, never a 429 that
 * would tell it apart from a missing chat.
 */
export async function withSlot<T>(ctx: DomainContext, userId: string, rate: RateClass, access: Promise<T>, amount = 1): Promise<T> {
  const [checked, slot] = await Promise.allSettled([access, takeSlot(ctx, userId, rate, amount)]);
  if (checked.status === 'rejected') throw checked.reason;
  if (slot.status === 'rejected') throw slot.reason;
  return checked.value;
}

/**
 * SPEC §5 typing: true when this user's `typing` into this chat may be
 * relayed (none relayed in the last `typingIntervalSeconds`), false when it
 * is to be acked and dropped. One conditional UpdateItem.
 */
export function typingRelayed(ctx: DomainContext, userId: string, chatId: string): Promise<boolean> {
  return ctx.repo.rateLimits.throttle(userId, `typing#${chatId}`, ctx.limits.typingIntervalSeconds, ctx.now());
}
