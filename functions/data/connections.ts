/**
 * WebSocket connections and presence.
 *
 * - Connection: `PK = CONN#<connectionId>`, `SK = CONN`, with `ttl`. Maps an
 *   API Gateway `connectionId` to its user for every later frame and for
 *   `$disconnect`. `$disconnect` is best effort on AWS, so the record carries
 *   a TTL of the 2 h maximum connection duration.
 * - Presence: `PK = USER#<userId>`, `SK = PRESENCE`, one attribute per open
 *   connection, `c_<connectionId> = <expiresAt epoch seconds>`, plus
 *   `lastSeenAt`. Fan-out reads the presence items of N participants with
 *   BatchGetItem: ⌈N/100⌉ requests, never a Scan and never a query per user.
 *   Entries whose `expiresAt` has passed are ignored by readers and pruned on
 *   the user's next connect.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ConnectionStore } from '../domain/ports';
import type { ConnectionRecord, PresenceRecord } from '../domain/types';
import { TTL_ATTRIBUTE } from './table';
import { batchGet, type Db } from './client';
import { connectionKey, presenceKey } from './keys';

const ATTR_PREFIX = 'c_';

export function toItem(c: ConnectionRecord) {
  return { ...connectionKey(c.connectionId), entity: 'connection', ...c, [TTL_ATTRIBUTE]: c.expiresAt };
}

export function fromItem(item: Record<string, unknown>): ConnectionRecord {
  return {
    connectionId: item.connectionId as string,
    userId: item.userId as string,
    name: item.name as string,
    roles: item.roles as ConnectionRecord['roles'],
    connectedAt: item.connectedAt as string,
    expiresAt: item.expiresAt as number,
  };
}

export function presenceFromItem(userId: string, item: Record<string, unknown> | undefined): PresenceRecord {
  const connections: PresenceRecord['connections'] = [];
  for (const [name, value] of Object.entries(item ?? {})) {
    if (name.startsWith(ATTR_PREFIX)) connections.push({ connectionId: name.slice(ATTR_PREFIX.length), expiresAt: value as number });
  }
  return { userId, connections, lastSeenAt: item?.lastSeenAt as string | undefined };
}

/** An UpdateItem of the user's presence item (one connection attribute, `#c`), answering the presence after it. */
async function updatePresence(db: Db, userId: string, connectionId: string, expression: string, values: Record<string, unknown>): Promise<PresenceRecord> {
  const out = await db.client.send(
    new UpdateCommand({
      TableName: db.table,
      Key: presenceKey(userId),
      UpdateExpression: `${expression}, entity = :e, userId = :u`,
      ExpressionAttributeNames: { '#c': ATTR_PREFIX + connectionId },
      ExpressionAttributeValues: { ...values, ':e': 'presence', ':u': userId },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return presenceFromItem(userId, out.Attributes);
}

/** The `ConnectionStore` port on one table. */
export function connectionStore(db: Db): ConnectionStore {
  return {
    async put(c) {
      await db.client.send(new PutCommand({ TableName: db.table, Item: toItem(c) }));
    },

    async get(connectionId, consistent = false) {
      const out = await db.client.send(new GetCommand({ TableName: db.table, Key: connectionKey(connectionId), ConsistentRead: consistent }));
      return out.Item ? fromItem(out.Item) : undefined;
    },

    async deletePresence(userId) {
      await db.client.send(new DeleteCommand({ TableName: db.table, Key: presenceKey(userId) }));
    },

    async delete(connectionId) {
      const out = await db.client.send(new DeleteCommand({ TableName: db.table, Key: connectionKey(connectionId), ReturnValues: 'ALL_OLD' }));
      return out.Attributes ? fromItem(out.Attributes) : undefined;
    },

    /** One UpdateItem (ALL_NEW); entries that expired without `$disconnect` are pruned with a second one, only when there are any. */
    async addToPresence(userId, connectionId, expiresAt) {
      const presence = await updatePresence(db, userId, connectionId, 'SET #c = :exp', { ':exp': expiresAt });
      const now = Math.floor(Date.now() / 1000);
      const stale = presence.connections.filter((c) => c.expiresAt <= now);
      if (stale.length > 0) {
        // Connections that vanished without `$disconnect`: prune them now that the user is back.
        await db.client.send(
          new UpdateCommand({
            TableName: db.table,
            Key: presenceKey(userId),
            UpdateExpression: `REMOVE ${stale.map((_, i) => `#s${i}`).join(', ')}`,
            ExpressionAttributeNames: Object.fromEntries(stale.map((c, i) => [`#s${i}`, ATTR_PREFIX + c.connectionId])),
          }),
        );
        presence.connections = presence.connections.filter((c) => c.expiresAt > now);
      }
      return presence;
    },

    async removeFromPresence(userId, connectionId, at) {
      return updatePresence(db, userId, connectionId, 'REMOVE #c SET lastSeenAt = :at', { ':at': at });
    },

    /** BatchGetItem of the presence items, ⌈N/100⌉ requests; every user is in the map (no connections when absent). */
    async getPresence(userIds) {
      const items = await batchGet(db, userIds.map(presenceKey));
      const byUser = new Map(items.map((i) => [i.userId as string, i]));
      return new Map(userIds.map((u) => [u, presenceFromItem(u, byUser.get(u))]));
    },
  };
}
