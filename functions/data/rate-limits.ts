/**
 * Per-user fixed-window counters: `PK = RATE#<userId>#<window start, epoch
 * seconds>`, `SK = RATE`, with a TTL two windows later.
 *
 * Each user's counter is its own partition key, so no single key carries
 * the whole service's traffic (no hot partition); a window costs one
 * conditional UpdateItem per message and is deleted by TTL.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateLimitStore } from '../domain/ports';
import { applied, type Db } from './client';
import { rateKey } from './keys';
import { TTL_ATTRIBUTE } from './table';

/** The `RateLimitStore` port on one table. */
export function rateLimitStore(db: Db): RateLimitStore {
  return {
    /**
     * Counts one action for `userId` in the window containing `now`; not
     * allowed (and nothing counted) when `limit` actions were already counted
     * in it.
     */
    async take(userId, windowSeconds, limit, now) {
      const nowSeconds = Math.floor(now.getTime() / 1000);
      const windowStart = nowSeconds - (nowSeconds % windowSeconds);
      const allowed = await applied(
        db.client.send(
          new UpdateCommand({
            TableName: db.table,
            Key: rateKey(userId, windowStart),
            UpdateExpression: 'ADD #n :one SET #ttl = :ttl',
            ConditionExpression: 'attribute_not_exists(#n) OR #n < :limit',
            ExpressionAttributeNames: { '#n': 'count', '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':ttl': windowStart + 2 * windowSeconds },
          }),
        ),
      );
      return { allowed, retryAfterSeconds: Math.max(1, windowStart + windowSeconds - nowSeconds) };
    },
  };
}
