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
import type { AttachmentRecord } from '../domain/types';
import { batchGet, type Db } from './client';
import { TTL_ATTRIBUTE } from './table';

export const attachmentKey = (chatId: string, attachmentId: string) => ({ PK: `CHAT#${chatId}`, SK: `ATT#${attachmentId}` });

export function toItem(a: AttachmentRecord) {
  return { ...attachmentKey(a.chatId, a.id), entity: 'attachment', ...a, [TTL_ATTRIBUTE]: a.expiresAt };
}

export function fromItem(item: Record<string, unknown>): AttachmentRecord {
  const { PK: _pk, SK: _sk, entity: _e, [TTL_ATTRIBUTE]: _ttl, ...rest } = item;
  return rest as unknown as AttachmentRecord;
}

export async function createAttachment(db: Db, a: AttachmentRecord): Promise<void> {
  await db.client.send(new PutCommand({ TableName: db.table, Item: toItem(a), ConditionExpression: 'attribute_not_exists(PK)' }));
}

export async function getAttachments(db: Db, chatId: string, ids: readonly string[]): Promise<AttachmentRecord[]> {
  const items = await batchGet(db, ids.map((id) => attachmentKey(chatId, id)), true);
  return items.map(fromItem);
}
