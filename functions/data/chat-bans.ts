/**
 * SPEC §9 group bans: `CHAT#<chatId>` / `BAN#<userId>` with `reason`,
 * `bannedBy`, `createdAt`, `expiresAt`; the `ttl` attribute (DynamoDB TTL)
 * removes an expired ban eventually, and reads treat `expiresAt` as the
 * truth meanwhile.
 *
 * Access patterns: put (PutItem), the bans of the users being added
 * (BatchGetItem, ⌈n/100⌉), list a chat's bans (Query, `begins_with(SK,
 * "BAN#")`), remove (DeleteItem, `ReturnValues: ALL_OLD`).
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ChatBanStore } from '../domain/ports';
import type { ChatBanRecord } from '../domain/types';
import { batchGet, queryAll, type Db } from './client';
import { chatBanKey, chatPk, PREFIX } from './keys';
import { TTL_ATTRIBUTE } from './table';

export function toItem(ban: ChatBanRecord) {
  const ttl = ban.expiresAt ? Math.ceil(Date.parse(ban.expiresAt) / 1000) : undefined;
  return { ...chatBanKey(ban.chatId, ban.userId), entity: 'chatBan', ...ban, ...(ttl ? { [TTL_ATTRIBUTE]: ttl } : {}) };
}

export function fromItem(item: Record<string, unknown>): ChatBanRecord {
  const ban: ChatBanRecord = { chatId: item.chatId as string, userId: item.userId as string, bannedBy: item.bannedBy as string, createdAt: item.createdAt as string };
  if (item.reason) ban.reason = item.reason as string;
  if (item.expiresAt) ban.expiresAt = item.expiresAt as string;
  return ban;
}

export function chatBanStore(db: Db): ChatBanStore {
  return {
    async put(ban) {
      await db.client.send(new PutCommand({ TableName: db.table, Item: toItem(ban) }));
    },
    async getMany(chatId, userIds) {
      if (userIds.length === 0) return [];
      return (await batchGet(db, userIds.map((u) => chatBanKey(chatId, u)), true)).map(fromItem);
    },
    async list(chatId) {
      const items = await queryAll(db, {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': chatPk(chatId), ':prefix': PREFIX.ban },
      });
      return items.map(fromItem).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.userId.localeCompare(b.userId));
    },
    async remove(chatId, userId) {
      const out = await db.client.send(new DeleteCommand({ TableName: db.table, Key: chatBanKey(chatId, userId), ReturnValues: 'ALL_OLD' }));
      return out.Attributes !== undefined;
    },
  };
}
