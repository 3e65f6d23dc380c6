/**
 * Erasures (SPEC §10): `PK = ERASURE#<erasureId>`, `SK = ERASURE` holds the
 * request, its progress counters and the worker's checkpoint; `PK =
 * USER#<userId>`, `SK = ERASURE` points at the user's erasure. Both are
 * written in one transaction whose condition on the pointer makes a repeat
 * request find the first erasure instead of creating a second.
 *
 * Access patterns: create (TransactWriteItems, 2 writes), get by id
 * (GetItem, strongly consistent: the worker resumes from it), get the
 * user's (GetItem of the pointer + GetItem), save progress (PutItem).
 */
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { ErasureRecord, ErasureStore } from '../domain/ports';
import { isConditionFailure, type Db } from './client';
import { erasureKey, userErasureKey } from './keys';

export function toItem(e: ErasureRecord) {
  return { ...erasureKey(e.id), entity: 'erasure', ...e };
}

export function fromItem(item: Record<string, unknown>): ErasureRecord {
  return {
    id: item.id as string,
    userId: item.userId as string,
    status: item.status as ErasureRecord['status'],
    requestedBy: item.requestedBy as string,
    requestedAt: item.requestedAt as string,
    startedAt: item.startedAt as string | undefined,
    finishedAt: item.finishedAt as string | undefined,
    messagesErased: (item.messagesErased as number) ?? 0,
    chatsLeft: (item.chatsLeft as number) ?? 0,
    reactionsRemoved: (item.reactionsRemoved as number) ?? 0,
    checkpoint: (item.checkpoint as ErasureRecord['checkpoint']) ?? { step: 'profile' },
  };
}

export function erasureStore(db: Db): ErasureStore {
  const get = async (erasureId: string) => {
    const out = await db.client.send(new GetCommand({ TableName: db.table, Key: erasureKey(erasureId), ConsistentRead: true }));
    return out.Item ? fromItem(out.Item) : undefined;
  };
  return {
    get,

    async create(erasure) {
      try {
        await db.client.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: db.table, Item: { ...userErasureKey(erasure.userId), entity: 'userErasure', erasureId: erasure.id }, ConditionExpression: 'attribute_not_exists(PK)' } },
              { Put: { TableName: db.table, Item: toItem(erasure), ConditionExpression: 'attribute_not_exists(PK)' } },
            ],
          }),
        );
        return { created: true, erasure };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const pointer = await db.client.send(new GetCommand({ TableName: db.table, Key: userErasureKey(erasure.userId), ConsistentRead: true }));
        const existing = pointer.Item && (await get(pointer.Item.erasureId as string));
        if (!existing) throw error;
        return { created: false, erasure: existing };
      }
    },

    async save(erasure) {
      await db.client.send(new PutCommand({ TableName: db.table, Item: toItem(erasure) }));
    },
  };
}
