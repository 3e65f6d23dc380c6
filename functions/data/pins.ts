/**
 * Pins (SPEC §4): `PK = CHAT#<chatId>`, `SK = PIN#<seq, 12 digits>` with
 * `pinnedAt`, `pinnedBy`, `messageId`; the message item carries the same
 * `pinnedAt`/`pinnedBy`, and the chat item a `pinCount`.
 *
 * Pinning is one transaction: the message (exists, has this id, is not
 * deleted, not pinned), the pin item, and `pinCount < :max` on the chat, so
 * the limit of 50 holds under concurrent pins. The failed condition of a
 * cancelled transaction says which: already pinned, gone, or full.
 */
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { PinStore } from '../domain/ports';
import { cancellationReasons, isConditionFailure, queryAll, type Db } from './client';
import { chatKey, chatPk, messageKey, pinKey, PREFIX } from './keys';

/** The `PinStore` port on one table. */
export function pinStore(db: Db): PinStore {
  return {
    async pin({ chatId, seq, id }, { pinnedBy, pinnedAt, max }) {
      try {
        await db.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: db.table,
                  Key: messageKey(chatId, seq),
                  UpdateExpression: 'SET pinnedAt = :at, pinnedBy = :by',
                  ConditionExpression: 'attribute_exists(PK) AND id = :id AND attribute_not_exists(deletedAt) AND attribute_not_exists(pinnedAt)',
                  ExpressionAttributeValues: { ':at': pinnedAt, ':by': pinnedBy, ':id': id },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              { Put: { TableName: db.table, Item: { ...pinKey(chatId, seq), entity: 'pin', chatId, seq, messageId: id, pinnedAt, pinnedBy } } },
              {
                Update: {
                  TableName: db.table,
                  Key: chatKey(chatId),
                  UpdateExpression: 'ADD pinCount :one',
                  ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(pinCount) OR pinCount < :max)',
                  ExpressionAttributeValues: { ':one': 1, ':max': max },
                },
              },
            ],
          }),
        );
        return 'pinned';
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const [message, , chat] = cancellationReasons(error);
        if (message?.code === 'ConditionalCheckFailed') {
          const item = message.item;
          return item && item.id === id && !item.deletedAt && item.pinnedAt ? 'already' : 'missing';
        }
        return chat?.code === 'ConditionalCheckFailed' ? 'full' : 'missing';
      }
    },

    async unpin({ chatId, seq, id }) {
      try {
        await db.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: db.table,
                  Key: messageKey(chatId, seq),
                  UpdateExpression: 'REMOVE pinnedAt, pinnedBy',
                  ConditionExpression: 'attribute_exists(PK) AND id = :id AND attribute_exists(pinnedAt)',
                  ExpressionAttributeValues: { ':id': id },
                },
              },
              { Delete: { TableName: db.table, Key: pinKey(chatId, seq) } },
              { Update: { TableName: db.table, Key: chatKey(chatId), UpdateExpression: 'ADD pinCount :minus', ExpressionAttributeValues: { ':minus': -1 } } },
            ],
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    /** One Query of the chat's `PIN#` items (≤ 50). */
    async list(chatId) {
      const items = await queryAll(db, {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': chatPk(chatId), ':prefix': PREFIX.pin },
        ConsistentRead: true,
      });
      return items.map((i) => ({ seq: i.seq as number, messageId: i.messageId as string, pinnedAt: i.pinnedAt as string, pinnedBy: i.pinnedBy as string }));
    },
  };
}
