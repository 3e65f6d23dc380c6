/**
 * Chats: the chat item `PK = CHAT#<chatId>`, `SK = META`, and the uniqueness
 * items that make creation idempotent, `PK = UNIQUE#<key>`, `SK = UNIQUE`
 * (`key` is `direct#<a>#<b>` with sorted ids, `context#<chat type>#<context
 * type>#<context id>#<hash of the people>` (`domain/chats.ts creationKey`), or
 * `support#<requesterId>` while that requester has a support chat that is
 * not closed).
 *
 * Support chats are also in the support queue: GSI1 `SUPPORT` /
 * `<status>#<createdAt>#<chatId>` (all support chats by status, oldest
 * first) and GSI2 `AGENT#<assigneeId|none>` / the same sort key (by
 * assignee). Status and assignee changes rewrite those keys; messages do not
 * touch them.
 *
 * Access patterns: get a chat (GetItem), get many (BatchGetItem ⌈n/100⌉),
 * get a chat with the caller's membership (one consistent BatchGetItem),
 * create (TransactWriteItems, conditional on the uniqueness item), record a
 * new message (UpdateItem conditional on `lastSeq < :seq`).
 */
import { BatchWriteCommand, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ChatChanges } from '../domain/ports';
import type { ChatRecord, MembershipRecord, MessagePreview } from '../domain/types';
import { applied, batchGet, chunk, isConditionFailure, sleep, type Db } from './client';
import * as memberships from './memberships';

export const chatKey = (chatId: string) => ({ PK: `CHAT#${chatId}`, SK: 'META' });
export const uniqueKey = (key: string) => ({ PK: `UNIQUE#${key}`, SK: 'UNIQUE' });

/** The support-queue index keys of a chat (none for direct and group chats). */
export function supportIndexKeys(chat: Pick<ChatRecord, 'id' | 'type' | 'status' | 'assigneeId' | 'createdAt'>) {
  if (chat.type !== 'support' || !chat.status) return {};
  const sort = `${chat.status}#${chat.createdAt}#${chat.id}`;
  return { GSI1PK: 'SUPPORT', GSI1SK: sort, GSI2PK: `AGENT#${chat.assigneeId ?? 'none'}`, GSI2SK: sort };
}

export function toItem(chat: ChatRecord) {
  return { ...chatKey(chat.id), ...supportIndexKeys(chat), entity: 'chat', ...chat };
}

export function fromItem(item: Record<string, unknown>): ChatRecord {
  const { PK: _pk, SK: _sk, entity: _e, GSI1PK: _g1p, GSI1SK: _g1s, GSI2PK: _g2p, GSI2SK: _g2s, ...rest } = item;
  const chat = rest as unknown as ChatRecord;
  chat.participantCount ??= 0;
  return chat;
}

/** The chat id behind a uniqueness key (GetItem, eventually consistent: a miss is settled by `createChat`'s condition). */
export async function findUnique(db: Db, key: string): Promise<string | undefined> {
  const out = await db.client.send(new GetCommand({ TableName: db.table, Key: uniqueKey(key) }));
  return out.Item?.chatId as string | undefined;
}

export async function getChat(db: Db, chatId: string, consistent = false): Promise<ChatRecord | undefined> {
  const out = await db.client.send(new GetCommand({ TableName: db.table, Key: chatKey(chatId), ConsistentRead: consistent }));
  return out.Item ? fromItem(out.Item) : undefined;
}

export async function getChats(db: Db, chatIds: readonly string[]): Promise<ChatRecord[]> {
  const items = await batchGet(db, chatIds.map(chatKey));
  return items.map(fromItem);
}

export async function getChatWithMembership(db: Db, chatId: string, userId: string) {
  const items = await batchGet(db, [chatKey(chatId), memberships.membershipKey(chatId, userId)], true);
  const chatItem = items.find((i) => i.entity === 'chat');
  const memberItem = items.find((i) => i.entity === 'membership');
  return { chat: chatItem && fromItem(chatItem), membership: memberItem && memberships.fromItem(memberItem) };
}

/** TransactWriteItems takes at most 100 actions; two go to the chat and its uniqueness item. */
const MEMBERS_IN_TRANSACTION = 98;

/**
 * Writes the chat, the uniqueness item (when given) and the memberships.
 * The chat, the uniqueness item and the first 98 memberships are one
 * transaction, so a concurrent create of the same pair or context yields one
 * chat. Larger groups (SPEC §5 allows 1,000) add the remaining memberships
 * with BatchWriteItem afterwards; the creator is always in the transaction.
 */
export async function createChat(
  db: Db,
  chat: ChatRecord,
  members: MembershipRecord[],
  unique?: string,
): Promise<{ created: true } | { created: false; chatId: string }> {
  const first = members.slice(0, MEMBERS_IN_TRANSACTION);
  const rest = members.slice(MEMBERS_IN_TRANSACTION);
  try {
    await db.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: db.table, Item: toItem(chat), ConditionExpression: 'attribute_not_exists(PK)' } },
          ...(unique
            ? [{ Put: { TableName: db.table, Item: { ...uniqueKey(unique), entity: 'unique', chatId: chat.id }, ConditionExpression: 'attribute_not_exists(PK)' } }]
            : []),
          ...first.map((m) => ({ Put: { TableName: db.table, Item: memberships.toItem(m) } })),
        ],
      }),
    );
  } catch (error) {
    if (!unique || !isConditionFailure(error)) throw error;
    const out = await db.client.send(new GetCommand({ TableName: db.table, Key: uniqueKey(unique), ConsistentRead: true }));
    if (!out.Item) throw error;
    return { created: false, chatId: out.Item.chatId as string };
  }
  await batchWriteAll(db, rest.map((m) => ({ PutRequest: { Item: memberships.toItem(m) } })));
  return { created: true };
}

async function batchWriteAll(db: Db, requests: Record<string, unknown>[]): Promise<void> {
  await Promise.all(
    chunk(requests, 25).map(async (part) => {
      let pending = part;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) {
          if (attempt > 8) throw new Error('BatchWriteItem kept returning unprocessed items');
          await sleep(Math.random() * Math.min(1000, 25 * 2 ** attempt));
        }
        const out = await db.client.send(new BatchWriteCommand({ RequestItems: { [db.table]: pending } }));
        pending = (out.UnprocessedItems?.[db.table] ?? []) as Record<string, unknown>[];
      }
    }),
  );
}


/**
 * Updates chat fields (and the support-queue keys derived from them) on the
 * condition that the chat exists and that each `expect`ed field still has the
 * given value (optimistic concurrency). With `releaseUnique`, the uniqueness
 * item is deleted in the same transaction (a support chat being closed frees
 * its requester to open a new one). Answers the updated chat, or undefined
 * when a condition failed.
 */
export async function updateChat(
  db: Db,
  current: ChatRecord,
  changes: ChatChanges,
  options: { expect?: Partial<Pick<ChatRecord, 'status' | 'assigneeId'>>; releaseUnique?: string } = {},
): Promise<ChatRecord | undefined> {
  const next = { ...current, ...changes } as ChatRecord;
  const fields: Record<string, unknown> = { ...changes, ...supportIndexKeys(next) };
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const removes: string[] = [];
  Object.entries(fields).forEach(([field, value], i) => {
    names[`#f${i}`] = field;
    if (value === undefined) removes.push(`#f${i}`);
    else {
      values[`:v${i}`] = value;
      sets.push(`#f${i} = :v${i}`);
    }
  });
  const conditions = ['attribute_exists(PK)'];
  Object.entries(options.expect ?? {}).forEach(([field, value], i) => {
    names[`#e${i}`] = field;
    if (value === null || value === undefined) conditions.push(`(attribute_not_exists(#e${i}) OR #e${i} = :null)`);
    else {
      values[`:e${i}`] = value;
      conditions.push(`#e${i} = :e${i}`);
    }
    if (value === null || value === undefined) values[':null'] = null;
  });
  const update = {
    TableName: db.table,
    Key: chatKey(current.id),
    UpdateExpression: [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].join(' ').trim(),
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
  };
  try {
    if (options.releaseUnique) {
      await db.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: update },
            {
              Delete: {
                TableName: db.table,
                Key: uniqueKey(options.releaseUnique),
                ConditionExpression: 'attribute_not_exists(PK) OR chatId = :chat',
                ExpressionAttributeValues: { ':chat': current.id },
              },
            },
          ],
        }),
      );
    } else {
      await db.client.send(new UpdateCommand(update));
    }
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
  return next;
}

export async function replacePreview(db: Db, chatId: string, preview: MessagePreview): Promise<void> {
  await applied(
    db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: chatKey(chatId),
        UpdateExpression: 'SET lastMessage = :preview',
        ConditionExpression: 'lastMessage.id = :id',
        ExpressionAttributeValues: { ':preview': preview, ':id': preview.id },
      }),
    ),
  );
}

/** Stamps the first response of a support chat once (`attribute_not_exists`); later calls change nothing. */
export async function recordFirstResponse(db: Db, chatId: string, at: string, seconds: number): Promise<void> {
  await applied(
    db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: chatKey(chatId),
        UpdateExpression: 'SET firstResponseAt = :at, firstResponseSeconds = :s',
        ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(firstResponseAt)',
        ExpressionAttributeValues: { ':at': at, ':s': seconds },
      }),
    ),
  );
}

/**
 * Moves the chat's `lastSeq`, `lastMessage` and `lastActivityAt` to a newly
 * stored message. The condition keeps them monotonic when two sends finish
 * out of order; losing that race is the expected outcome, not an error.
 */
export async function recordMessage(db: Db, chatId: string, preview: MessagePreview): Promise<void> {
  await applied(
    db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: chatKey(chatId),
        UpdateExpression: 'SET lastSeq = :seq, lastMessage = :preview, lastActivityAt = :at, updatedAt = :at',
        ConditionExpression: 'attribute_exists(PK) AND lastSeq < :seq',
        ExpressionAttributeValues: { ':seq': preview.seq, ':preview': preview, ':at': preview.createdAt },
      }),
    ),
  );
}
