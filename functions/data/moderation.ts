/**
 * SPEC §9 blocks and platform bans.
 *
 * Items:
 * - moderation state `USER#<userId>` / `MODERATION`: `blockedBy` (string
 *   set: who blocks this user), `blocking` (string set: whom this user
 *   blocks), `bannedAt`/`bannedBy`/`bannedReason` while banned. One GetItem
 *   answers everything a send needs (ban, blocks in both directions), so a
 *   send never reads one item per recipient.
 * - block `USER#<blockerId>` / `BLOCK#<blockedId>`: `blockedAt`, for the
 *   blocker's list.
 *
 * Access patterns: state of one user (GetItem, 0.5 RCU eventually / 1 RCU
 * strongly consistent while the item is ≤ 4 KB, about 100 blockers); block
 * and unblock (TransactWriteItems of the three items, so the sets and the
 * list never disagree); list a user's blocks (Query of their partition,
 * `begins_with(SK, "BLOCK#")`); set or lift a ban (UpdateItem).
 */
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ModerationStore } from '../domain/ports';
import type { BlockRecord, ModerationState } from '../domain/types';
import { applied, queryAll, type Db } from './client';
import { blockKey, moderationKey, PREFIX, userPk } from './keys';

export function fromItem(userId: string, item: Record<string, unknown> | undefined): ModerationState {
  const set = (v: unknown) => (v instanceof Set ? [...(v as Set<string>)].sort() : []);
  const state: ModerationState = { userId, blockedBy: set(item?.blockedBy), blocking: set(item?.blocking) };
  if (item?.bannedAt) state.ban = { at: item.bannedAt as string, by: item.bannedBy as string, ...(item.bannedReason ? { reason: item.bannedReason as string } : {}) };
  return state;
}

/** The `ModerationStore` port on one table. */
export function moderationStore(db: Db): ModerationStore {
  /** ADD/DELETE of one id in a set of a user's moderation item (DELETE of the last element removes the attribute). */
  const setChange = (userId: string, op: 'ADD' | 'DELETE', attribute: 'blockedBy' | 'blocking', id: string) => ({
    Update: {
      TableName: db.table,
      Key: moderationKey(userId),
      UpdateExpression: `${op} #set :id${op === 'ADD' ? ' SET entity = :e' : ''}`,
      ExpressionAttributeNames: { '#set': attribute },
      ExpressionAttributeValues: { ':id': new Set([id]), ...(op === 'ADD' ? { ':e': 'moderation' } : {}) },
    },
  });

  return {
    async state(userId, consistent = false) {
      const out = await db.client.send(new GetCommand({ TableName: db.table, Key: moderationKey(userId), ConsistentRead: consistent }));
      return fromItem(userId, out.Item);
    },

    block: (blockerId, blockedId, at) =>
      applied(
        db.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: db.table,
                  Item: { ...blockKey(blockerId, blockedId), entity: 'block', blockerId, blockedId, blockedAt: at },
                  ConditionExpression: 'attribute_not_exists(PK)',
                },
              },
              setChange(blockerId, 'ADD', 'blocking', blockedId),
              setChange(blockedId, 'ADD', 'blockedBy', blockerId),
            ],
          }),
        ),
      ),

    unblock: (blockerId, blockedId) =>
      applied(
        db.client.send(
          new TransactWriteCommand({
            TransactItems: [
              { Delete: { TableName: db.table, Key: blockKey(blockerId, blockedId), ConditionExpression: 'attribute_exists(PK)' } },
              setChange(blockerId, 'DELETE', 'blocking', blockedId),
              setChange(blockedId, 'DELETE', 'blockedBy', blockerId),
            ],
          }),
        ),
      ),

    async blocks(blockerId) {
      const items = await queryAll(db, {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': userPk(blockerId), ':prefix': PREFIX.block },
      });
      return items
        .map((i): BlockRecord => ({ blockerId, blockedId: i.blockedId as string, blockedAt: i.blockedAt as string }))
        .sort((a, b) => a.blockedAt.localeCompare(b.blockedAt) || a.blockedId.localeCompare(b.blockedId));
    },

    async setBan(userId, ban) {
      await db.client.send(
        new UpdateCommand(
          ban
            ? {
                TableName: db.table,
                Key: moderationKey(userId),
                UpdateExpression: `SET entity = :e, bannedAt = :at, bannedBy = :by${ban.reason ? ', bannedReason = :reason' : ''}${ban.reason ? '' : ' REMOVE bannedReason'}`,
                ExpressionAttributeValues: { ':e': 'moderation', ':at': ban.at, ':by': ban.by, ...(ban.reason ? { ':reason': ban.reason } : {}) },
              }
            : { TableName: db.table, Key: moderationKey(userId), UpdateExpression: 'REMOVE bannedAt, bannedBy, bannedReason' },
        ),
      );
    },
  };
}
