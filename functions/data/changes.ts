/**
 * The change log behind `GET /v1/sync` (SPEC §7):
 *
 * - chat log: `PK = CHANGES#<chatId>`, `SK = <change id>`: every event all
 *   participants of the chat get, as it was sent; its own partition, so a
 *   busy chat's log never competes with its messages for a partition.
 * - user log: `PK = USER#<userId>`, `SK = CHAT!<change id>`: events
 *   addressed to one user (`membership.updated`, their own
 *   `participant.removed`, `chat.created` when they joined an existing
 *   chat). `!` sorts right before `#`, so one Query range (`CHAT!<after>` …
 *   `CHAT#\uffff`) reads the user's new log entries *and* all their
 *   memberships: the "1" of a sync's 1 + ⌈C/100⌉ requests.
 * - head: `changedAt` on the chat item (`CHAT#<chatId>` / `META`), read with
 *   `updatedAt` (which every send and chat change already moves) by a
 *   projected BatchGetItem: which chats have anything after the cursor.
 *
 * Every item carries `ttl` (DynamoDB TTL) = the end of the sync window.
 * Change ids are ULIDs of the time the change was recorded: unique, and in
 * time order (see `domain/change-log.ts` for why a reader may trust them).
 */
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ChangeEntry, ChangeStore, ServerEvent } from '../domain/ports';
import { TTL_ATTRIBUTE } from './table';
import { applied, batchGet, batchWrite, queryAll, type Db } from './client';
import { chatChangeKey, chatChangesPk, chatKey, LAST_MEMBERSHIP_SK, PREFIX, userChangeKey, userChangeSk, userPk } from './keys';
import { brotliDecompressSync } from 'node:zlib';
import { fromItem as membershipFromItem } from './memberships';
import { encodeContent } from './messages';

/**
 * The stored form of an entry's event: the event map, or `eventZ` (its JSON,
 * Brotli-compressed with the message content's settings, `encodeContent`)
 * when the JSON is at least `COMPRESS_FROM_BYTES` long and compression makes
 * it smaller. A 1 KB message's `message.new` entry then fits one write unit
 * (1 KB per WCU) like the message itself, so a send's change-log write costs
 * 1 WCU instead of 2 (issue 15: a send adds at most one write).
 */
function encodeEvent(event: ServerEvent): { event: ServerEvent } | { eventZ: Uint8Array } {
  const packed = encodeContent(JSON.stringify(event));
  return 'contentZ' in packed ? { eventZ: packed.contentZ } : { event };
}

function decodeEvent(item: Record<string, unknown>): ServerEvent {
  const packed = item.eventZ;
  if (packed instanceof Uint8Array) return JSON.parse(brotliDecompressSync(packed).toString('utf8')) as ServerEvent;
  return item.event as ServerEvent;
}

function toItem(key: { PK: string; SK: string }, entry: ChangeEntry) {
  return { ...key, entity: 'change', id: entry.id, ...encodeEvent(entry.event), joinedAt: entry.joinedAt, hide: entry.hide, [TTL_ATTRIBUTE]: entry.expiresAt };
}

function fromItem(item: Record<string, unknown>): ChangeEntry {
  return {
    id: item.id as string,
    event: decodeEvent(item),
    expiresAt: item[TTL_ATTRIBUTE] as number,
    ...(typeof item.joinedAt === 'string' ? { joinedAt: item.joinedAt } : {}),
    ...(item.hide && typeof item.hide === 'object' ? { hide: item.hide as ChangeEntry['hide'] } : {}),
  };
}

/** The `ChangeStore` port on one table. */
export function changeStore(db: Db): ChangeStore {
  return {
    /** One PutItem (1 WCU for an event up to 1 KB). */
    async appendToChat(chatId, entry) {
      await db.client.send(new PutCommand({ TableName: db.table, Item: toItem(chatChangeKey(chatId, entry.id), entry) }));
    },

    /** One PutItem per user (BatchWriteItem, 25 per request). */
    async appendToUsers(userIds, entry) {
      const unique = [...new Set(userIds)];
      if (unique.length === 1) {
        await db.client.send(new PutCommand({ TableName: db.table, Item: toItem(userChangeKey(unique[0], entry.id), entry) }));
      } else if (unique.length > 1) {
        await batchWrite(db, unique.map((u) => ({ PutRequest: { Item: toItem(userChangeKey(u, entry.id), entry) } })));
      }
    },

    /** UpdateItem on the chat item, only forward and only when the chat exists (a failed condition is no error). */
    async touchChat(chatId, at) {
      await applied(
        db.client.send(
          new UpdateCommand({
            TableName: db.table,
            Key: chatKey(chatId),
            UpdateExpression: 'SET changedAt = :at',
            ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(changedAt) OR changedAt < :at)',
            ExpressionAttributeValues: { ':at': at },
          }),
        ),
      );
    },

    /** One strongly consistent Query (per 1 MB) of the user's partition from `CHAT!<after>` to the last membership. */
    async userState(userId, after) {
      const items = await queryAll(db, {
        KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': userPk(userId), ':from': userChangeSk(`${after}\u0000`), ':to': LAST_MEMBERSHIP_SK },
        ConsistentRead: true,
      });
      const memberships = items.filter((i) => (i.SK as string).startsWith(PREFIX.chat) && i.entity === 'membership').map(membershipFromItem);
      const entries = items.filter((i) => (i.SK as string).startsWith(PREFIX.userChange)).map(fromItem);
      return { memberships, entries };
    },

    /** Projected, strongly consistent BatchGetItem of the chat items: ⌈n/100⌉ requests. The head is the later of `changedAt` and `updatedAt`. */
    async heads(chatIds) {
      const items = await batchGetProjected(db, chatIds.map(chatKey));
      const heads = new Map<string, string>();
      for (const item of items) {
        const changed = typeof item.changedAt === 'string' ? item.changedAt : '';
        const updated = typeof item.updatedAt === 'string' ? item.updatedAt : '';
        const head = changed > updated ? changed : updated;
        if (head) heads.set(item.id as string, head);
      }
      return heads;
    },

    /** One strongly consistent Query of the chat's log, `Limit` = `limit` + 1 to tell whether there is more. */
    async chatEntries(chatId, range) {
      const bounded = range.upTo !== undefined;
      const out = await db.client.send(
        new QueryCommand({
          TableName: db.table,
          KeyConditionExpression: bounded ? 'PK = :pk AND SK BETWEEN :from AND :to' : 'PK = :pk AND SK > :after',
          ExpressionAttributeValues: bounded
            ? { ':pk': chatChangesPk(chatId), ':from': `${range.after}\u0000`, ':to': range.upTo }
            : { ':pk': chatChangesPk(chatId), ':after': range.after },
          ConsistentRead: true,
          Limit: range.limit + 1,
        }),
      );
      const items = (out.Items ?? []).map(fromItem);
      // Limit stops at `limit + 1` items, or a 1 MB page stops earlier: either way there may be more.
      return { entries: items.slice(0, range.limit), more: items.length > range.limit || out.LastEvaluatedKey !== undefined };
    },
  };
}

/** BatchGetItem of the chat items' head attributes only. */
function batchGetProjected(db: Db, keys: { PK: string; SK: string }[]) {
  return batchGet(db, keys, true, ['id', 'changedAt', 'updatedAt']);
}
