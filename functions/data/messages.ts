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
 *
 * Reactions are top-level string sets `r_<reaction>` of user ids, so adding
 * and removing one is a single atomic `ADD`/`DELETE` (one per user per
 * reaction by construction; DynamoDB drops a set when it becomes empty).
 *
 * Idempotent sends: `SK = CMID#<senderId>#<clientMessageId>` in the chat's
 * partition points at the message; it is written in the same transaction as
 * the message, so two racing sends with the same `clientMessageId` store
 * one message. It expires (TTL) after `CLIENT_ID_TTL_SECONDS`.
 */
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { MessageRecord } from '../domain/types';
import { applied, isConditionFailure, type Db } from './client';
import { attachmentKey } from './attachments';
import { TTL_ATTRIBUTE } from './table';

const SEQ_DIGITS = 12;
const pad = (seq: number) => String(seq).padStart(SEQ_DIGITS, '0');

export const messageKey = (chatId: string, seq: number) => ({ PK: `CHAT#${chatId}`, SK: `MSG#${pad(seq)}` });

const REACTION_PREFIX = 'r_';
/** How long a `clientMessageId` is remembered: retries after a week store a new message. */
export const CLIENT_ID_TTL_SECONDS = 7 * 24 * 60 * 60;

export const clientIdKey = (chatId: string, senderId: string, clientMessageId: string) => ({
  PK: `CHAT#${chatId}`,
  SK: `CMID#${senderId}#${clientMessageId}`,
});

export function toItem(m: MessageRecord) {
  const { reactions, ...rest } = m;
  const sets = Object.fromEntries(
    Object.entries(reactions ?? {})
      .filter(([, users]) => users.length > 0)
      .map(([reaction, users]) => [REACTION_PREFIX + reaction, new Set(users)]),
  );
  return { ...messageKey(m.chatId, m.seq), entity: 'message', ...rest, ...sets };
}

export function fromItem(item: Record<string, unknown>): MessageRecord {
  const reactions: Record<string, string[]> = {};
  const rest: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(REACTION_PREFIX)) reactions[name.slice(REACTION_PREFIX.length)] = [...(value as Set<string>)].sort();
    else if (name !== 'PK' && name !== 'SK' && name !== 'entity') rest[name] = value;
  }
  return { ...(rest as unknown as MessageRecord), reactions };
}

export async function putIfSeqFree(db: Db, message: MessageRecord): Promise<boolean> {
  return applied(db.client.send(new PutCommand({ TableName: db.table, Item: toItem(message), ConditionExpression: 'attribute_not_exists(PK)' })));
}

/** `retry`: the transaction collided with another one in flight (TransactionConflict); try again. */
export type PutResult = 'stored' | 'seq-taken' | 'duplicate' | 'retry' | 'attachment-used';

/**
 * Stores a message at its seq (`attribute_not_exists`). With attachments or
 * a `clientMessageId`, in one transaction with: each attachment slot moved
 * from `pending` to `attached` (condition: still pending, owned by the
 * sender) and the `clientMessageId` pointer (condition: new). Without
 * either, a single conditional PutItem (half the write cost of a
 * transaction).
 */
export async function putAtomically(db: Db, message: MessageRecord): Promise<PutResult> {
  const attachments = message.attachments ?? [];
  if (attachments.length === 0 && !message.clientMessageId) return (await putIfSeqFree(db, message)) ? 'stored' : 'seq-taken';
  const items = [
    { Put: { TableName: db.table, Item: toItem(message), ConditionExpression: 'attribute_not_exists(PK)' } },
    ...attachments.map((a) => ({
      Update: {
        TableName: db.table,
        Key: attachmentKey(message.chatId, a.id),
        UpdateExpression: 'SET #status = :attached, messageId = :message REMOVE #ttl, expiresAt',
        ConditionExpression: '#status = :pending AND ownerId = :sender',
        ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':attached': 'attached', ':pending': 'pending', ':message': message.id, ':sender': message.senderId },
      },
    })),
    ...(message.clientMessageId
      ? [
          {
            Put: {
              TableName: db.table,
              Item: {
                ...clientIdKey(message.chatId, message.senderId, message.clientMessageId),
                entity: 'clientMessageId',
                messageId: message.id,
                seq: message.seq,
                [TTL_ATTRIBUTE]: Math.floor(Date.parse(message.createdAt) / 1000) + CLIENT_ID_TTL_SECONDS,
              },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
        ]
      : []),
  ];
  try {
    await db.client.send(new TransactWriteCommand({ TransactItems: items }));
    return 'stored';
  } catch (error) {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
    const failed = (i: number) => reasons[i]?.Code === 'ConditionalCheckFailed';
    if (message.clientMessageId && failed(items.length - 1)) return 'duplicate';
    if (failed(0)) return 'seq-taken';
    if (attachments.some((_, i) => failed(i + 1))) return 'attachment-used';
    if (reasons.some((r) => r.Code === 'TransactionConflict')) return 'retry';
    throw error;
  }
}

/** The message a sender stored earlier with this `clientMessageId`, if any (strongly consistent). */
export async function findByClientId(db: Db, chatId: string, senderId: string, clientMessageId: string): Promise<MessageRecord | undefined> {
  const pointer = await db.client.send(
    new GetCommand({ TableName: db.table, Key: clientIdKey(chatId, senderId, clientMessageId), ConsistentRead: true }),
  );
  if (!pointer.Item) return undefined;
  const out = await db.client.send(new GetCommand({ TableName: db.table, Key: messageKey(chatId, pointer.Item.seq as number), ConsistentRead: true }));
  return out.Item ? fromItem(out.Item) : undefined;
}

/**
 * Replaces the content if the message is still the author's, not deleted
 * and sent at or after `editableSince` (the edit window). Undefined when a
 * condition failed (the domain re-reads to say which).
 */
export async function editMessage(
  db: Db,
  target: { chatId: string; seq: number; id: string; senderId: string },
  change: { content: string; editedAt: string; editableSince: string },
): Promise<MessageRecord | undefined> {
  return updateReturning(db, {
    Key: messageKey(target.chatId, target.seq),
    UpdateExpression: 'SET content = :content, editedAt = :at',
    ConditionExpression: 'id = :id AND senderId = :sender AND attribute_not_exists(deletedAt) AND createdAt >= :since',
    ExpressionAttributeValues: { ':content': change.content, ':at': change.editedAt, ':id': target.id, ':sender': target.senderId, ':since': change.editableSince },
  });
}

/** Soft delete (SPEC §3): content "", attachments and reply preview dropped, `deletedAt` set. Undefined if already deleted or missing. */
export async function softDelete(db: Db, target: { chatId: string; seq: number; id: string }, deletedAt: string): Promise<MessageRecord | undefined> {
  return updateReturning(db, {
    Key: messageKey(target.chatId, target.seq),
    UpdateExpression: 'SET content = :empty, deletedAt = :at REMOVE attachments, metadata',
    ConditionExpression: 'id = :id AND attribute_not_exists(deletedAt)',
    ExpressionAttributeValues: { ':empty': '', ':at': deletedAt, ':id': target.id },
  });
}

/** Adds or removes one user's reaction atomically; undefined if the message is missing or deleted. */
export async function react(
  db: Db,
  target: { chatId: string; seq: number; id: string },
  reaction: string,
  userId: string,
  add: boolean,
): Promise<MessageRecord | undefined> {
  return updateReturning(db, {
    Key: messageKey(target.chatId, target.seq),
    UpdateExpression: `${add ? 'ADD' : 'DELETE'} #r :user`,
    ConditionExpression: 'id = :id AND attribute_not_exists(deletedAt)',
    ExpressionAttributeNames: { '#r': REACTION_PREFIX + reaction },
    ExpressionAttributeValues: { ':user': new Set([userId]), ':id': target.id },
  });
}

async function updateReturning(db: Db, input: Omit<UpdateCommandInput, 'TableName' | 'ReturnValues'>): Promise<MessageRecord | undefined> {
  try {
    const out = await db.client.send(new UpdateCommand({ ...input, TableName: db.table, ReturnValues: 'ALL_NEW' }));
    return fromItem(out.Attributes!);
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
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

export async function getMessage(db: Db, chatId: string, seq: number, consistent = false): Promise<MessageRecord | undefined> {
  const out = await db.client.send(new GetCommand({ TableName: db.table, Key: messageKey(chatId, seq), ConsistentRead: consistent }));
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
