/**
 * Data exports (SPEC §10): `PK = EXPORT#<exportId>`, `SK = EXPORT`, with a
 * TTL (`ttl` = `expiresAt`) matching the `exports/` lifecycle rule of the
 * bucket, so a record never outlives its document by long.
 *
 * Access patterns: create (PutItem), get by id (GetItem, strongly
 * consistent), save status (PutItem).
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ExportRecord, ExportStore } from '../domain/ports';
import type { Db } from './client';
import { exportKey } from './keys';
import { TTL_ATTRIBUTE } from './table';

export function toItem(e: ExportRecord) {
  return { ...exportKey(e.id), entity: 'export', ...e, ...(e.expiresAt ? { [TTL_ATTRIBUTE]: e.expiresAt } : {}) };
}

export function fromItem(item: Record<string, unknown>): ExportRecord {
  return {
    id: item.id as string,
    userId: item.userId as string,
    requestedBy: item.requestedBy as string,
    status: item.status as ExportRecord['status'],
    createdAt: item.createdAt as string,
    finishedAt: item.finishedAt as string | undefined,
    key: item.key as string | undefined,
    bytes: item.bytes as number | undefined,
    expiresAt: item.expiresAt as number | undefined,
  };
}

export function exportStore(db: Db): ExportStore {
  return {
    async create(exp) {
      await db.client.send(new PutCommand({ TableName: db.table, Item: toItem(exp), ConditionExpression: 'attribute_not_exists(PK)' }));
    },
    async get(exportId) {
      const out = await db.client.send(new GetCommand({ TableName: db.table, Key: exportKey(exportId), ConsistentRead: true }));
      return out.Item ? fromItem(out.Item) : undefined;
    },
    async save(exp) {
      await db.client.send(new PutCommand({ TableName: db.table, Item: toItem(exp) }));
    },
  };
}
