/**
 * Per-user fixed-window counters: `PK = RATE#<userId>#<window start, epoch
 * seconds>`, `SK = RATE`, with a TTL two windows later.
 *
 * Each user's counter is its own partition key, so no single key carries
 * the whole service's traffic (no hot partition); a window costs one
 * conditional UpdateItem per message and is deleted by TTL.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { applied, type Db } from './client';
import { TTL_ATTRIBUTE } from './table';

/**
 * Counts one action for `userId` in the window containing `now`; false (and
 * nothing counted) when `limit` actions were already counted in it.
 */
export async function take(db: Db, userId: string, windowSeconds: number, limit: number, now: Date): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const windowStart = nowSeconds - (nowSeconds % windowSeconds);
  const allowed = await applied(
    db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: { PK: `RATE#${userId}#${windowStart}`, SK: 'RATE' },
        UpdateExpression: 'ADD #n :one SET #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(#n) OR #n < :limit',
        ExpressionAttributeNames: { '#n': 'count', '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':ttl': windowStart + 2 * windowSeconds },
      }),
    ),
  );
  return { allowed, retryAfterSeconds: Math.max(1, windowStart + windowSeconds - nowSeconds) };
}
