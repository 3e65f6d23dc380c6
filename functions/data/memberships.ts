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
import { DeleteCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { MembershipStore } from '../domain/ports';
import type { MembershipRecord, ParticipantRecord } from '../domain/types';
import { GSI1 } from './table';
import { applied, batchGet, cancellationReasons, chunk, conditional, isConditionFailure, queryAll, type Db } from './client';
import { chatIdOfFormer, chatKey, chatPk, formerMembershipKey, membershipKey, participantIndexKey, PREFIX, userPk } from './keys';

export function toItem(m: MembershipRecord) {
  // `mentionSeqs` is a number set, only ever changed with ADD/DELETE (`addMention`, `dropMentions`).
  const { mentionSeqs: _mentions, ...rest } = m;
  return { ...membershipKey(m.chatId, m.userId), ...participantIndexKey(m.chatId, m.userId), entity: 'membership', ...rest };
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
    notificationLevel: item.notificationLevel as MembershipRecord['notificationLevel'],
    notifiedSeq: item.notifiedSeq as number | undefined,
    notifiedAt: item.notifiedAt as string | undefined,
    // A DynamoDB number set arrives as a Set.
    mentionSeqs: item.mentionSeqs instanceof Set ? [...(item.mentionSeqs as Set<number>)].map(Number).sort((a, b) => a - b) : undefined,
  };
}

/** TransactWriteItems takes ≤ 100 actions: one goes to the chat's participant count. */
const MEMBERS_PER_TRANSACTION = 99;

/** Takes back a partial add: deletes the memberships written and gives back the reserved count. */
async function undoAdd(db: Db, chatId: string, written: readonly MembershipRecord[], reserved: number): Promise<void> {
  await Promise.all(
    chunk(written, 100).map((part) =>
      db.client.send(new TransactWriteCommand({ TransactItems: part.map((m) => ({ Delete: { TableName: db.table, Key: membershipKey(chatId, m.userId) } })) })),
    ),
  );
  await db.client.send(
    new UpdateCommand({
      TableName: db.table,
      Key: chatKey(chatId),
      UpdateExpression: 'ADD participantCount :minus',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':minus': -reserved },
    }),
  );
}

/** The `MembershipStore` port on one table. */
export function membershipStore(db: Db): MembershipStore {
  return {
    /** Query of the user's partition (1 MB pages ≈ 4,000 memberships each). */
    async listByUser(userId) {
      const items = await queryAll(db, {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': userPk(userId), ':prefix': PREFIX.chat },
      });
      return items.map(fromItem);
    },

    /** Query of GSI1 (eventually consistent, like every GSI): one request per ~10,000 participants. */
    async listParticipants(chatId) {
      const items = await queryAll(db, {
        IndexName: GSI1.indexName,
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': chatPk(chatId) },
      });
      return items.map((item) => ({ userId: item.userId as string, role: item.role as ParticipantRecord['role'], joinedAt: item.joinedAt as string }));
    },

    async readMarkers(chatId, userIds) {
      const items = await batchGet(db, userIds.map((u) => membershipKey(chatId, u)));
      return new Map(items.map((i) => [i.userId as string, (i.lastReadSeq as number) ?? 0]));
    },

    /** One conditional UpdateItem; when it was already further, its failed condition returns the stored marker (ALL_OLD). */
    async advanceReadMarker(chatId, userId, seq, at) {
      const out = await conditional(
        db.client.send(
          new UpdateCommand({
            TableName: db.table,
            Key: membershipKey(chatId, userId),
            UpdateExpression: 'SET lastReadSeq = :seq, lastReadAt = :at',
            ConditionExpression: 'attribute_exists(PK) AND lastReadSeq < :seq',
            ExpressionAttributeValues: { ':seq': seq, ':at': at },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      if (out.applied) return { moved: true, lastReadSeq: seq };
      return { moved: false, lastReadSeq: out.existing && fromItem(out.existing).lastReadSeq };
    },

    /** Memberships of the given users in a chat (missing ones absent): one BatchGetItem per 100 users. */
    async getMany(chatId, userIds) {
      const items = await batchGet(db, userIds.map((u) => membershipKey(chatId, u)));
      return items.map(fromItem);
    },

    /**
     * Adds memberships, all or none (SPEC §6: a request that fails changes
     * nothing). The first transaction raises the chat's `participantCount` by
     * the whole number of new members, on the condition that it stays ≤
     * `maxSize` (SPEC §5 group size), together with the first 99 memberships;
     * so an add over the limit writes nothing, and the reserved count keeps
     * concurrent adds from overtaking it. The count's failed condition
     * returns the chat item (ALL_OLD), which tells `full` from `missing`.
     * Further memberships follow in transactions of 99, each conditional on
     * the membership being new; should one of those fail (a user joined
     * meanwhile: `conflict`), or DynamoDB fail for good, the memberships
     * already written are deleted and the count given back before answering.
     */
    async add(chatId, members, maxSize) {
      if (members.length === 0) return 'added';
      const total = members.length;
      const [first, ...rest] = chunk(members, MEMBERS_PER_TRANSACTION);
      const put = (m: MembershipRecord) => ({ Put: { TableName: db.table, Item: toItem(m), ConditionExpression: 'attribute_not_exists(PK)' } });
      try {
        await db.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: db.table,
                  Key: chatKey(chatId),
                  UpdateExpression: 'ADD participantCount :n',
                  ConditionExpression: 'attribute_exists(PK) AND participantCount <= :limit',
                  ExpressionAttributeValues: { ':n': total, ':limit': maxSize - total },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              ...first!.map(put),
            ],
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const [count] = cancellationReasons(error);
        if (count?.code !== 'ConditionalCheckFailed') return 'conflict';
        return count.item ? 'full' : 'missing';
      }
      const written: MembershipRecord[] = [...first!];
      for (const part of rest) {
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
    },

    /** Deletes a membership and lowers `participantCount`; false when the user was not a participant. */
    async remove(chatId, userId, expectedRole) {
      const membership = expectedRole
        ? { ConditionExpression: 'attribute_exists(PK) AND #role = :role', ExpressionAttributeNames: { '#role': 'role' }, ExpressionAttributeValues: { ':role': expectedRole } }
        : { ConditionExpression: 'attribute_exists(PK)' };
      return applied(
        db.client.send(
          new TransactWriteCommand({
            TransactItems: [
              { Delete: { TableName: db.table, Key: membershipKey(chatId, userId), ...membership } },
              // The erasure's way back to the messages the user sent here (SPEC §10); one more write per leave.
              { Put: { TableName: db.table, Item: { ...formerMembershipKey(userId, chatId), entity: 'formerMembership', chatId } } },
              {
                Update: {
                  TableName: db.table,
                  Key: chatKey(chatId),
                  UpdateExpression: 'ADD participantCount :minus',
                  ConditionExpression: 'attribute_exists(PK)',
                  ExpressionAttributeValues: { ':minus': -1 },
                },
              },
            ],
          }),
        ),
      );
    },

    /**
     * One conditional UpdateItem (≤ 1 WCU: a membership item is far below
     * 1 KB). Not projected on GSI1, so it costs no index write.
     */
    async markNotified(chatId, userId, { seq, at, expected, mention }) {
      const condition = mention
        ? 'attribute_exists(PK) AND (attribute_not_exists(notifiedSeq) OR notifiedSeq < :seq)'
        : expected === undefined
          ? 'attribute_exists(PK) AND attribute_not_exists(notifiedSeq)'
          : 'attribute_exists(PK) AND notifiedSeq = :expected';
      return applied(
        db.client.send(
          new UpdateCommand({
            TableName: db.table,
            Key: membershipKey(chatId, userId),
            UpdateExpression: 'SET notifiedSeq = :seq, notifiedAt = :at',
            ConditionExpression: condition,
            ExpressionAttributeValues: { ':seq': seq, ':at': at, ...(!mention && expected !== undefined ? { ':expected': expected } : {}) },
          }),
        ),
      );
    },

    /** One UpdateItem per mentioned member (≤ 20), adding to a number set. */
    async addMention(chatId, userIds, seq) {
      await Promise.all(
        userIds.map((userId) =>
          applied(
            db.client.send(
              new UpdateCommand({
                TableName: db.table,
                Key: membershipKey(chatId, userId),
                UpdateExpression: 'ADD mentionSeqs :s',
                ConditionExpression: 'attribute_exists(PK)',
                ExpressionAttributeValues: { ':s': new Set([seq]) },
              }),
            ),
          ),
        ),
      );
    },

    async dropMentions(chatId, userId, seqs) {
      if (seqs.length === 0) return;
      await applied(
        db.client.send(
          new UpdateCommand({
            TableName: db.table,
            Key: membershipKey(chatId, userId),
            UpdateExpression: 'DELETE mentionSeqs :s',
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeValues: { ':s': new Set(seqs) },
          }),
        ),
      );
    },

    /** Query of the user's `LEFT#` items (keys only). */
    async listFormer(userId) {
      const items = await queryAll(db, {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :left)',
        ExpressionAttributeValues: { ':pk': userPk(userId), ':left': PREFIX.left },
        ProjectionExpression: 'SK',
      });
      return items.map((item) => chatIdOfFormer(item.SK as string));
    },

    async forgetFormer(userId, chatId) {
      await db.client.send(new DeleteCommand({ TableName: db.table, Key: formerMembershipKey(userId, chatId) }));
    },

    /** Sets fields of an existing membership (`archived`, `role`); false when there is no such membership. */
    async update(chatId, userId, changes) {
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
    },
  };
}
