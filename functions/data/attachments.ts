/**
 * Attachment upload slots: `PK = CHAT#<chatId>`, `SK = ATT#<attachmentId>`.
 *
 * A slot is created `pending` with a one-day TTL (abandoned uploads vanish
 * with the bucket's `pending/` lifecycle rule) and becomes `attached` in the
 * same transaction that stores the message using it (`messages.ts`), on the
 * condition that it is still pending and owned by the sender: an id is
 * consumed once. Being in the chat's partition, a slot of another chat is
 * simply not found.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AttachmentStore } from '../domain/ports';
import type { AttachmentRecord } from '../domain/types';
import { batchGet, type Db } from './client';
import { attachmentKey } from './keys';
import { TTL_ATTRIBUTE } from './table';

export function toItem(a: AttachmentRecord) {
  return { ...attachmentKey(a.chatId, a.id), entity: 'attachment', ...a, [TTL_ATTRIBUTE]: a.expiresAt };
}

export function fromItem(item: Record<string, unknown>): AttachmentRecord {
  const { PK: _pk, SK: _sk, entity: _e, [TTL_ATTRIBUTE]: _ttl, ...rest } = item;
  return rest as unknown as AttachmentRecord;
}

/** The `AttachmentStore` port on one table. */
export function attachmentStore(db: Db): AttachmentStore {
  return {
    /** PutItem `attribute_not_exists(PK)`: an id is never reused. */
    async create(a) {
      await db.client.send(new PutCommand({ TableName: db.table, Item: toItem(a), ConditionExpression: 'attribute_not_exists(PK)' }));
    },

    /** One consistent BatchGetItem in the chat's partition. */
    async getMany(chatId, ids) {
      const items = await batchGet(db, ids.map((id) => attachmentKey(chatId, id)), true);
      return items.map(fromItem);
    },
  };
}
