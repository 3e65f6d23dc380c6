/**
 * Support-desk access patterns over the index keys that `chats.ts` maintains
 * on support chats, and the role directory that `users.ts` maintains.
 *
 * | Pattern | Key condition | Index |
 * |---|---|---|
 * | queue, all or by status | `GSI1PK = SUPPORT` [`AND begins_with(GSI1SK, <status>#)`] | GSI1 |
 * | queue by assignee / unassigned | `GSI2PK = AGENT#<id>` or `AGENT#none` [`AND begins_with(GSI2SK, <status>#)`] | GSI2 |
 * | an agent's chats that are not closed (load) | `GSI2PK = AGENT#<id> AND GSI2SK > "closed#\uffff"`, `Select: COUNT` | GSI2 |
 * | support agents whose role has not lapsed | `GSI2PK = ROLE#support AND GSI2SK BETWEEN <now, 10 digits> AND 9999999999#\uffff` | GSI2 |
 * | statistics | `GSI1PK = SUPPORT`, projected `assigneeId`, `firstResponseSeconds` | GSI1 |
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SupportStatus } from '../domain/types';
import { GSI1, GSI2 } from './table';
import { queryAll, type Db } from './client';
import { roleSortKey } from './users';

/** Statuses sort as closed < open < resolved < waiting, so everything above `closed#…` is not closed. */
const AFTER_CLOSED = 'closed#\uffff';

export interface QueuePage {
  chatIds: string[];
  /** Opaque position after the page, or undefined at the end. */
  next?: Record<string, unknown>;
}

export async function queuePage(
  db: Db,
  filter: { status?: SupportStatus; assigneeId?: string | null; limit: number; start?: Record<string, unknown> },
): Promise<QueuePage> {
  const byAssignee = filter.assigneeId !== undefined;
  const index = byAssignee ? GSI2 : GSI1;
  const values: Record<string, unknown> = { ':pk': byAssignee ? `AGENT#${filter.assigneeId ?? 'none'}` : 'SUPPORT' };
  let condition = `${index.partitionKey} = :pk`;
  if (filter.status) {
    condition += ` AND begins_with(${index.sortKey}, :status)`;
    values[':status'] = `${filter.status}#`;
  }
  const out = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      IndexName: index.indexName,
      KeyConditionExpression: condition,
      ExpressionAttributeValues: values,
      Limit: filter.limit,
      ExclusiveStartKey: filter.start,
    }),
  );
  return {
    chatIds: (out.Items ?? []).map((item) => (item.PK as string).slice('CHAT#'.length)),
    next: out.LastEvaluatedKey,
  };
}

/** Support chats assigned to `agentId` that are not closed (COUNT query: reads keys only). */
export async function openCountForAgent(db: Db, agentId: string): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.client.send(
      new QueryCommand({
        TableName: db.table,
        IndexName: GSI2.indexName,
        KeyConditionExpression: 'GSI2PK = :pk AND GSI2SK > :closed',
        ExpressionAttributeValues: { ':pk': `AGENT#${agentId}`, ':closed': AFTER_CLOSED },
        Select: 'COUNT',
        ExclusiveStartKey: start,
      }),
    );
    count += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return count;
}

/**
 * Ids of users whose directory entry has the role and whose role has not
 * lapsed at `now` (GSI2 `ROLE#<role>`, sort keys `<supportUntil>#<id>`
 * from `now` on; entries of an older key format sort above the bound and
 * are left out until their user is seen again).
 */
export async function usersWithRole(db: Db, role: 'support', now: Date): Promise<string[]> {
  const items = await queryAll(db, {
    IndexName: GSI2.indexName,
    KeyConditionExpression: 'GSI2PK = :pk AND GSI2SK BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': `ROLE#${role}`, ':from': roleSortKey('', now.getTime() / 1000), ':to': '9999999999#\uffff' },
  });
  return items.map((item) => (item.GSI2SK as string).slice((item.GSI2SK as string).indexOf('#') + 1));
}

export interface SupportIndexEntry {
  chatId: string;
  status: SupportStatus;
  createdAt: string;
  assigneeId?: string | null;
  firstResponseSeconds?: number;
}

/** Every support chat's queue entry (small projected items: ~10,000 per 1 MB page). */
export async function allSupportEntries(db: Db): Promise<SupportIndexEntry[]> {
  const items = await queryAll(db, {
    IndexName: GSI1.indexName,
    KeyConditionExpression: 'GSI1PK = :pk',
    ExpressionAttributeValues: { ':pk': 'SUPPORT' },
  });
  return items.map((item) => {
    const [status, createdAt] = (item.GSI1SK as string).split('#');
    return {
      chatId: item.chatId as string,
      status: status as SupportStatus,
      createdAt,
      assigneeId: item.assigneeId as string | null | undefined,
      firstResponseSeconds: item.firstResponseSeconds as number | undefined,
    };
  });
}
