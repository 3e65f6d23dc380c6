/**
 * The single DynamoDB table: key schema, GSIs and TTL attribute.
 *
 * This is plain data so that the CDK stack (`lib/chat-stack.ts`), the local
 * stack (`local/dynamo.ts`) and the integration tests all create exactly the
 * same table. Key *values* are built only in `keys.ts`; the README's
 * access-pattern table lists every pattern.
 *
 * | attribute | role |
 * |---|---|
 * | `PK`, `SK` | base table key (strings) |
 * | `GSI1PK`, `GSI1SK` | GSI1: chat → participants (memberships), and the support queue (`SUPPORT`, support chats by status) |
 * | `GSI2PK`, `GSI2SK` | GSI2, keys only: support chats by assignee (`AGENT#<id>` / `AGENT#none`), and the role directory (`ROLE#support`) |
 * | `ttl` | epoch seconds; DynamoDB TTL deletes connection and presence records |
 */

export const KEY = { pk: 'PK', sk: 'SK' } as const;
export const TTL_ATTRIBUTE = 'ttl';

export interface GsiDefinition {
  indexName: string;
  partitionKey: string;
  sortKey: string;
  /** `INCLUDE` lists `nonKeyAttributes`; `KEYS_ONLY` projects the table and index keys. */
  projection: 'KEYS_ONLY' | 'INCLUDE' | 'ALL';
  nonKeyAttributes?: string[];
}

/**
 * GSI1 projects only what fan-out, participant lists and support statistics
 * need. The read marker (`lastReadSeq`) and the chat's `lastSeq` are
 * deliberately *not* projected: they move on every send, and a projected
 * attribute would cost one more index write per message.
 */
export const GSI1: GsiDefinition = {
  indexName: 'GSI1',
  partitionKey: 'GSI1PK',
  sortKey: 'GSI1SK',
  projection: 'INCLUDE',
  nonKeyAttributes: ['userId', 'chatId', 'role', 'joinedAt', 'assigneeId', 'firstResponseSeconds'],
};

/** Keys-only, so updates to the indexed items' other attributes cost no index write. */
export const GSI2: GsiDefinition = {
  indexName: 'GSI2',
  partitionKey: 'GSI2PK',
  sortKey: 'GSI2SK',
  projection: 'KEYS_ONLY',
};

export const GLOBAL_SECONDARY_INDEXES: readonly GsiDefinition[] = [GSI1, GSI2];

/** Every key attribute is a string. */
export const ATTRIBUTE_DEFINITIONS = [KEY.pk, KEY.sk, GSI1.partitionKey, GSI1.sortKey, GSI2.partitionKey, GSI2.sortKey].map(
  (name) => ({ AttributeName: name, AttributeType: 'S' as const }),
);

/**
 * `CreateTable` input for DynamoDB Local and tests (on-demand, same keys and
 * indexes as the CDK table). TTL is enabled separately with `UpdateTimeToLive`.
 */
export function createTableInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: ATTRIBUTE_DEFINITIONS,
    KeySchema: [
      { AttributeName: KEY.pk, KeyType: 'HASH' as const },
      { AttributeName: KEY.sk, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: GLOBAL_SECONDARY_INDEXES.map((gsi) => ({
      IndexName: gsi.indexName,
      KeySchema: [
        { AttributeName: gsi.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: gsi.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection:
        gsi.projection === 'INCLUDE'
          ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: gsi.nonKeyAttributes }
          : { ProjectionType: gsi.projection },
    })),
  };
}
