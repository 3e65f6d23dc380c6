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
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { MembershipRecord, ParticipantRecord } from '../domain/types';
import { GSI1 } from './table';
import { applied, batchGet, chunk, isConditionFailure, queryAll, type Db } from './client';

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
  return applied(
    db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: membershipKey(chatId, userId),
        UpdateExpression: 'SET lastReadSeq = :seq, lastReadAt = :at',
        ConditionExpression: 'attribute_exists(PK) AND lastReadSeq < :seq',
        ExpressionAttributeValues: { ':seq': seq, ':at': at },
      }),
    ),
  );
}

/** TransactWriteItems takes ≤ 100 actions: one goes to the chat's participant count. */
const MEMBERS_PER_TRANSACTION = 99;

export type AddMembersResult = 'added' | 'full' | 'conflict' | 'missing';

/**
 * Adds memberships, all or none (SPEC §6: a request that fails changes
 * nothing). The first transaction raises the chat's `participantCount` by
 * the whole number of new members, on the condition that it stays ≤
 * `maxSize` (SPEC §5 group size), together with the first 99 memberships;
 * so an add over the limit writes nothing, and the reserved count keeps
 * concurrent adds from overtaking it. Further memberships follow in
 * transactions of 99, each conditional on the membership being new. Should
 * one of those fail (a user joined meanwhile: `conflict`), or DynamoDB fail
 * for good, the memberships already written are deleted and the count given
 * back before answering.
 */
export async function addMembers(db: Db, chatId: string, members: MembershipRecord[], maxSize: number): Promise<AddMembersResult> {
  if (members.length === 0) return 'added';
  const total = members.length;
  const parts = chunk(members, MEMBERS_PER_TRANSACTION);
  const put = (m: MembershipRecord) => ({ Put: { TableName: db.table, Item: toItem(m), ConditionExpression: 'attribute_not_exists(PK)' } });
  try {
    await db.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: db.table,
              Key: { PK: `CHAT#${chatId}`, SK: 'META' },
              UpdateExpression: 'ADD participantCount :n',
              ConditionExpression: 'attribute_exists(PK) AND participantCount <= :limit',
              ExpressionAttributeValues: { ':n': total, ':limit': maxSize - total },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          ...parts[0].map(put),
        ],
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const reasons = (error as { CancellationReasons?: { Code?: string; Item?: Record<string, unknown> }[] }).CancellationReasons ?? [];
    if (reasons[0]?.Code !== 'ConditionalCheckFailed') return 'conflict';
    return reasons[0].Item ? 'full' : 'missing';
  }
  const written: MembershipRecord[] = [...parts[0]];
  for (const part of parts.slice(1)) {
    try {
      await db.client.send(new TransactWriteCommand({ TransactItems: part.map(put) }));
      written.push(...part);
    } catch (error) {
      await undoAdd(db, chatId, written, total);
      if (isConditionFailure(error)) return 'conflict';
      throw error;
    }
  }
  return 'added';
}

/** Takes back a partial add: deletes the memberships written and gives back the reserved count. */
async function undoAdd(db: Db, chatId: string, written: MembershipRecord[], reserved: number): Promise<void> {
  await Promise.all(
    chunk(written, 100).map((part) =>
      db.client.send(new TransactWriteCommand({ TransactItems: part.map((m) => ({ Delete: { TableName: db.table, Key: membershipKey(chatId, m.userId) } })) })),
    ),
  );
  await db.client.send(
    new UpdateCommand({
      TableName: db.table,
      Key: { PK: `CHAT#${chatId}`, SK: 'META' },
      UpdateExpression: 'ADD participantCount :minus',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':minus': -reserved },
    }),
  );
}

/** Deletes a membership and lowers `participantCount`; false when the user was not a participant. */
export async function removeMember(db: Db, chatId: string, userId: string): Promise<boolean> {
  return applied(
    db.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName: db.table, Key: membershipKey(chatId, userId), ConditionExpression: 'attribute_exists(PK)' } },
          {
            Update: {
              TableName: db.table,
              Key: { PK: `CHAT#${chatId}`, SK: 'META' },
              UpdateExpression: 'ADD participantCount :minus',
              ConditionExpression: 'attribute_exists(PK)',
              ExpressionAttributeValues: { ':minus': -1 },
            },
          },
        ],
      }),
    ),
  );
}

/** Sets one field of an existing membership (`archived`, `role`); false when there is no such membership. */
export async function updateMembership(
  db: Db,
  chatId: string,
  userId: string,
  changes: Partial<Pick<MembershipRecord, 'archived' | 'role'>>,
): Promise<boolean> {
  const entries = Object.entries(changes);
  return applied(
    db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: membershipKey(chatId, userId),
        UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
        ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
      }),
    ),
  );
}

/** Memberships of the given users in a chat (missing ones absent): one BatchGetItem per 100 users. */
export async function getMemberships(db: Db, chatId: string, userIds: readonly string[]): Promise<MembershipRecord[]> {
  const items = await batchGet(db, userIds.map((u) => membershipKey(chatId, u)));
  return items.map(fromItem);
}
