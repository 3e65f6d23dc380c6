/**
 * Support-desk access patterns over the index keys that `chats.ts` maintains
 * on support chats, and the role directory that `users.ts` maintains.
 *
 * | Pattern | Key condition | Index |
 * |---|---|---|
 * | queue, all or by status | `GSI1PK = SUPPORT` [`AND begins_with(GSI1SK, <status>#)`] | GSI1 |
 * | queue by assignee / unassigned | `GSI2PK = AGENT#<id>` or `AGENT#none` [`AND begins_with(GSI2SK, <status>#)`] | GSI2 |
 * | an agent's chats that are not closed (load) | `GSI2PK = AGENT#<id> AND GSI2SK > "closed#\uffff"`, `Select: COUNT` | GSI2 |
 * | support agents | `GSI2PK = ROLE#support` | GSI2 |
 * | statistics | `GSI1PK = SUPPORT`, projected `assigneeId`, `firstResponseSeconds` | GSI1 |
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SupportStore } from '../domain/ports';
import { GSI1, GSI2 } from './table';
import { queryAll, type Db } from './client';
import { AFTER_CLOSED, agentPk, chatIdOf, parseSupportSort, rolePk, statusPrefix, SUPPORT_QUEUE, userIdOf } from './keys';

/** The `SupportStore` port on one table. */
export function supportStore(db: Db): SupportStore {
  return {
    /** One Query of GSI1 (all, by status) or GSI2 (by assignee), `Limit` items from `start`; `next` is DynamoDB's `LastEvaluatedKey`. */
    async queuePage(filter) {
      const byAssignee = filter.assigneeId !== undefined;
      const index = byAssignee ? GSI2 : GSI1;
      const values: Record<string, unknown> = { ':pk': byAssignee ? agentPk(filter.assigneeId) : SUPPORT_QUEUE };
      let condition = `${index.partitionKey} = :pk`;
      if (filter.status) {
        condition += ` AND begins_with(${index.sortKey}, :status)`;
        values[':status'] = statusPrefix(filter.status);
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
        chatIds: (out.Items ?? []).map((item) => chatIdOf(item.PK as string)),
        next: out.LastEvaluatedKey,
      };
    },

    /** Support chats assigned to `agentId` that are not closed (COUNT query: reads keys only). */
    async openCountForAgent(agentId) {
      let count = 0;
      let start: Record<string, unknown> | undefined;
      do {
        const out = await db.client.send(
          new QueryCommand({
            TableName: db.table,
            IndexName: GSI2.indexName,
            KeyConditionExpression: 'GSI2PK = :pk AND GSI2SK > :closed',
            ExpressionAttributeValues: { ':pk': agentPk(agentId), ':closed': AFTER_CLOSED },
            Select: 'COUNT',
            ExclusiveStartKey: start,
          }),
        );
        count += out.Count ?? 0;
        start = out.LastEvaluatedKey;
      } while (start);
      return count;
    },

    /** Ids of users whose directory entry has the `support` role (GSI2 `ROLE#support`). */
    async agents() {
      const items = await queryAll(db, {
        IndexName: GSI2.indexName,
        KeyConditionExpression: 'GSI2PK = :pk',
        ExpressionAttributeValues: { ':pk': rolePk('support') },
      });
      return items.map((item) => userIdOf(item.GSI2SK as string));
    },

    /** Every support chat's queue entry (small projected items: ~10,000 per 1 MB page). */
    async entries() {
      const items = await queryAll(db, {
        IndexName: GSI1.indexName,
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': SUPPORT_QUEUE },
      });
      // A chat item has no `chatId` attribute: its id is in the key (projected on every index).
      return items.map((item) => ({
        chatId: chatIdOf(item.PK as string),
        ...parseSupportSort(item.GSI1SK as string),
        assigneeId: item.assigneeId as string | null | undefined,
        firstResponseSeconds: item.firstResponseSeconds as number | undefined,
      }));
    },
  };
}
