/**
 * Messages: `PK = CHAT#<chatId>`, `SK = MSG#<seq, 12 digits>`.
 *
 * Keeping messages in the chat's partition, sorted by zero-padded seq, makes
 * every history read one Query: latest page (descending, `Limit`), `before`
 * (SK < key, descending) and `after` (SK > key, ascending). A message is put
 * with `attribute_not_exists(PK)`, so a seq can be taken only once.
 *
 * Message ids carry their seq (`domain/ids.ts`), so a message is found by id
 * with GetItem and no index write per message.
 */
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { MessageRecord } from '../domain/types';
import { applied, type Db } from './client';

const SEQ_DIGITS = 12;
const pad = (seq: number) => String(seq).padStart(SEQ_DIGITS, '0');

export const messageKey = (chatId: string, seq: number) => ({ PK: `CHAT#${chatId}`, SK: `MSG#${pad(seq)}` });

export function toItem(m: MessageRecord) {
  return { ...messageKey(m.chatId, m.seq), entity: 'message', ...m };
}

export function fromItem(item: Record<string, unknown>): MessageRecord {
  const { PK: _pk, SK: _sk, entity: _e, ...rest } = item;
  const message = rest as unknown as MessageRecord;
  message.reactions ??= {};
  return message;
}

export async function putIfSeqFree(db: Db, message: MessageRecord): Promise<boolean> {
  return applied(db.client.send(new PutCommand({ TableName: db.table, Item: toItem(message), ConditionExpression: 'attribute_not_exists(PK)' })));
}

export async function latestSeq(db: Db, chatId: string): Promise<number> {
  const out = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': `CHAT#${chatId}`, ':prefix': 'MSG#' },
      ProjectionExpression: 'seq',
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  return (out.Items?.[0]?.seq as number | undefined) ?? 0;
}

export async function getMessage(db: Db, chatId: string, seq: number): Promise<MessageRecord | undefined> {
  const out = await db.client.send(new GetCommand({ TableName: db.table, Key: messageKey(chatId, seq) }));
  return out.Item ? fromItem(out.Item) : undefined;
}

/** One Query of `limit + 1` items; the extra item only tells `hasMore`. */
export async function page(
  db: Db,
  chatId: string,
  range: { before?: number; after?: number; limit: number },
): Promise<{ messages: MessageRecord[]; hasMore: boolean }> {
  const pk = `CHAT#${chatId}`;
  const ascending = range.after !== undefined;
  let condition = 'PK = :pk AND begins_with(SK, :prefix)';
  const values: Record<string, unknown> = { ':pk': pk, ':prefix': 'MSG#' };
  if (range.after !== undefined) {
    condition = 'PK = :pk AND SK BETWEEN :from AND :to';
    Object.assign(values, { ':from': `MSG#${pad(range.after + 1)}`, ':to': `MSG#${'9'.repeat(SEQ_DIGITS)}` });
    delete values[':prefix'];
  } else if (range.before !== undefined) {
    condition = 'PK = :pk AND SK BETWEEN :from AND :to';
    Object.assign(values, { ':from': `MSG#${pad(0)}`, ':to': `MSG#${pad(Math.max(0, range.before - 1))}` });
    delete values[':prefix'];
  }
  const out = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: condition,
      ExpressionAttributeValues: values,
      ScanIndexForward: ascending,
      Limit: range.limit + 1,
    }),
  );
  const items = (out.Items ?? []).map(fromItem);
  const hasMore = items.length > range.limit;
  const messages = items.slice(0, range.limit);
  if (!ascending) messages.reverse();
  return { messages, hasMore };
}
