/**
 * Per-user fixed-window counters: `PK = RATE#<userId>#<window start, epoch
 * seconds>` for messages, `RATE#<userId>#<bucket>#<window start>` for the
 * other limits of SPEC §5 (`writes`, `chats`, `participants`), `SK = RATE`,
 * with a TTL two windows later. And per-user, per-key throttles (`typing`
 * per chat): `PK = RATE#<userId>#<key>`, `SK = THROTTLE`, holding the time
 * of the last action let through (`keys.ts`).
 *
 * Each user's counter is its own partition key, so no single key carries
 * the whole service's traffic (no hot partition); a window costs one
 * conditional UpdateItem per action and is deleted by TTL. Message counters
 * keep their key without a bucket, so a send costs what it did before the
 * other buckets existed.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateLimitStore } from '../domain/ports';
import { applied, type Db } from './client';
import { rateKey, throttleKey } from './keys';
import { TTL_ATTRIBUTE } from './table';

/** The `RateLimitStore` port on one table. */
export function rateLimitStore(db: Db): RateLimitStore {
  return {
    /**
     * Counts `amount` actions (default 1) of `bucket` (unset: messages) for
     * `userId` in the window containing `now`; not allowed (and nothing
     * counted) when they would take the window past `limit`.
     */
    async take(userId, windowSeconds, limit, now, options = {}) {
      const amount = options.amount ?? 1;
      const nowSeconds = Math.floor(now.getTime() / 1000);
      const windowStart = nowSeconds - (nowSeconds % windowSeconds);
      const retryAfterSeconds = Math.max(1, windowStart + windowSeconds - nowSeconds);
      if (amount > limit) return { allowed: false, retryAfterSeconds };
      const allowed = await applied(
        db.client.send(
          new UpdateCommand({
            TableName: db.table,
            Key: rateKey(userId, windowStart, options.bucket),
            UpdateExpression: 'ADD #n :amount SET #ttl = :ttl',
            ConditionExpression: 'attribute_not_exists(#n) OR #n <= :most',
            ExpressionAttributeNames: { '#n': 'count', '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':amount': amount, ':most': limit - amount, ':ttl': windowStart + 2 * windowSeconds },
          }),
        ),
      );
      return { allowed, retryAfterSeconds };
    },

    /**
     * Lets one action per `intervalSeconds` through for `userId` and `key`:
     * true (and the time recorded) when the last one let through is at least
     * that old. One conditional UpdateItem; the item expires (TTL) a minute
     * after the interval.
     */
    async throttle(userId, key, intervalSeconds, now) {
      const nowMs = now.getTime();
      return applied(
        db.client.send(
          new UpdateCommand({
            TableName: db.table,
            Key: throttleKey(userId, key),
            UpdateExpression: 'SET #at = :now, #ttl = :ttl',
            ConditionExpression: 'attribute_not_exists(#at) OR #at <= :edge',
            ExpressionAttributeNames: { '#at': 'at', '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':now': nowMs, ':edge': nowMs - intervalSeconds * 1000, ':ttl': Math.floor(nowMs / 1000) + intervalSeconds + 60 },
          }),
        ),
      );
    },
  };
}
