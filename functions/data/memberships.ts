/**
 * Memberships: `PK = USER#<userId>`, `SK = CHAT#<chatId>`, and on GSI1
 * `GSI1PK = CHAT#<chatId>`, `GSI1SK = MEMBER#<userId>`.
 *
 * The base key serves the per-user patterns (list my chats, check my access,
 * move my read marker) with strong consistency; GSI1 serves the per-chat
 * pattern (participants for fan-out and participant lists). GSI1 projects
 * only `userId`, `chatId`, `role`, `joinedAt` (see `table.ts`), so moving a
 * read marker never writes to the index.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { MembershipRecord, ParticipantRecord } from '../domain/types';
import { GSI1 } from './table';
import { batchGet, isConditionFailure, queryAll, type Db } from './client';

export const membershipKey = (chatId: string, userId: string) => ({ PK: `USER#${userId}`, SK: `CHAT#${chatId}` });

export function toItem(m: MembershipRecord) {
  return { ...membershipKey(m.chatId, m.userId), GSI1PK: `CHAT#${m.chatId}`, GSI1SK: `MEMBER#${m.userId}`, entity: 'membership', ...m };
}

export function fromItem(item: Record<string, unknown>): MembershipRecord {
  return {
    chatId: item.chatId as string,
    userId: item.userId as string,
    chatType: item.chatType as MembershipRecord['chatType'],
    role: item.role as MembershipRecord['role'],
    joinedAt: item.joinedAt as string,
    lastReadSeq: (item.lastReadSeq as number) ?? 0,
    lastReadAt: item.lastReadAt as string | undefined,
    archived: item.archived === true,
  };
}

/** Query of the user's partition (1 MB pages ≈ 4,000 memberships each). */
export async function listByUser(db: Db, userId: string): Promise<MembershipRecord[]> {
  const items = await queryAll(db, {
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': `USER#${userId}`, ':prefix': 'CHAT#' },
  });
  return items.map(fromItem);
}

/** Query of GSI1 (eventually consistent, like every GSI): one request per ~10,000 participants. */
export async function listParticipants(db: Db, chatId: string): Promise<ParticipantRecord[]> {
  const items = await queryAll(db, {
    IndexName: GSI1.indexName,
    KeyConditionExpression: 'GSI1PK = :pk',
    ExpressionAttributeValues: { ':pk': `CHAT#${chatId}` },
  });
  return items.map((item) => ({ userId: item.userId as string, role: item.role as ParticipantRecord['role'], joinedAt: item.joinedAt as string }));
}

export async function readMarkers(db: Db, chatId: string, userIds: readonly string[]): Promise<Map<string, number>> {
  const items = await batchGet(db, userIds.map((u) => membershipKey(chatId, u)));
  return new Map(items.map((i) => [i.userId as string, (i.lastReadSeq as number) ?? 0]));
}

export async function advanceReadMarker(db: Db, chatId: string, userId: string, seq: number, at: string): Promise<boolean> {
  try {
    await db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: membershipKey(chatId, userId),
        UpdateExpression: 'SET lastReadSeq = :seq, lastReadAt = :at',
        ConditionExpression: 'attribute_exists(PK) AND lastReadSeq < :seq',
        ExpressionAttributeValues: { ':seq': seq, ':at': at },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
