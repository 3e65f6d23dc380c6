/**
 * Messages: `PK = CHAT#<chatId>`, `SK = MSG#<seq, 12 digits>`.
 *
 * Keeping messages in the chat's partition, sorted by zero-padded seq, makes
 * every history read one Query: latest page (descending, `Limit`), `before`
 * (SK < key, descending) and `after` (SK > key, ascending). A message is put
 * with `attribute_not_exists(PK)`, so a seq can be taken only once.
 *
 * Message ids carry their seq (`domain/ids.ts`), so a message is found by id
 * with GetItem and no index write per message.
 *
 * Reactions are top-level string sets `r_<reaction>` of user ids, so adding
 * and removing one is a single atomic `ADD`/`DELETE` (one per user per
 * reaction by construction; DynamoDB drops a set when it becomes empty);
 * `reactionKinds` counts the distinct reactions, so the per-message limit is
 * a condition of the same update (`react`).
 *
 * Long content is stored compressed (`encodeContent`): `contentZ` (Binary,
 * Brotli) instead of `content` when the text is at least
 * `COMPRESS_FROM_BYTES` long and compression makes it smaller. A write unit
 * is 1 KB of item, so a 1,000-character message of prose plus its keys and
 * attributes (~1.3 KB, 2 WCU) becomes ~0.8 KB (1 WCU); its reads, storage
 * and backups shrink alike. Short messages, nearly all chat traffic, stay
 * plain text: they fit in one unit anyway. Anything reading the table
 * without these codecs (exports, a stream consumer) must decode `contentZ`.
 *
 * Idempotent sends: `SK = CMID#<senderId>#<clientMessageId>` in the chat's
 * partition, expiring (TTL) after `CLIENT_ID_TTL_SECONDS`: a claim
 * (`claimClientId`), put before the seq is allocated with
 * `attribute_not_exists`, recording the id the message will carry (its ULID
 * part) and a lease. One plain write (1 WCU) instead of a transaction, which
 * would double the message's write units. A repeat finds the message by that
 * id (`findClaimedMessage`); a claim whose message never came (the sender
 * crashed) can be taken over once its lease has run out
 * (`takeOverClientId`). Pointers written by earlier versions inside the
 * message's transaction also carry the message's `seq` and `messageId`.
 */
import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants } from 'node:zlib';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ClientIdKey, ClientIdPointer, MessageStore } from '../domain/ports';
import type { MessageRecord } from '../domain/types';
import { applied, batchGet, cancellationReasons, conditional, type Db } from './client';
import { attachmentKey, chatPk, clientIdKey, LAST_MESSAGE_SK, messageKey, messageSk, PREFIX } from './keys';
import { TTL_ATTRIBUTE } from './table';

const REACTION_PREFIX = 'r_';
/** How many distinct reactions a message has (kept exact by `react`; absent on messages from before it). */
const KINDS_ATTRIBUTE = 'reactionKinds';
/** REMOVE clauses per UpdateItem when clearing reactions: DynamoDB caps an update expression at 4 KB. */
const REMOVES_PER_UPDATE = 100;
/** How long a `clientMessageId` is remembered: retries after a week store a new message. */
export const CLIENT_ID_TTL_SECONDS = 7 * 24 * 60 * 60;

/** Content this long (UTF-8 bytes) or longer is stored compressed when that makes it smaller. */
export const COMPRESS_FROM_BYTES = 512;

/**
 * Brotli at quality 5 in text mode: within a few bytes of the best ratio on
 * chat-sized text (its built-in dictionary suits short prose) at tens of
 * microseconds per message; qualities ≥ 9 cost milliseconds for ~5 % more.
 */
const brotliOptions = (bytes: number) => ({
  params: {
    [zlibConstants.BROTLI_PARAM_QUALITY]: 5,
    [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT,
    [zlibConstants.BROTLI_PARAM_SIZE_HINT]: bytes,
  },
});

/** The stored form of a message's content: `{ content }` or, when that is smaller, `{ contentZ }`. */
export function encodeContent(content: string): { content: string } | { contentZ: Uint8Array } {
  const raw = Buffer.from(content, 'utf8');
  if (raw.length < COMPRESS_FROM_BYTES) return { content };
  const packed = brotliCompressSync(raw, brotliOptions(raw.length));
  // Incompressible text (already dense, or random) stays readable.
  return packed.length < raw.length ? { contentZ: packed } : { content };
}

function decodeContent(item: Record<string, unknown>): string | undefined {
  const packed = item.contentZ;
  if (packed instanceof Uint8Array) return brotliDecompressSync(packed).toString('utf8');
  return item.content as string | undefined;
}

export function toItem(m: MessageRecord) {
  const { reactions, content, ...rest } = m;
  const sets = Object.fromEntries(
    Object.entries(reactions ?? {})
      .filter(([, users]) => users.length > 0)
      .map(([reaction, users]) => [REACTION_PREFIX + reaction, new Set(users)]),
  );
  // SPEC §10 retention: DynamoDB TTL removes the message at `expiresAt`.
  return { ...messageKey(m.chatId, m.seq), entity: 'message', ...rest, ...encodeContent(content), ...sets, ...(m.expiresAt ? { [TTL_ATTRIBUTE]: m.expiresAt } : {}) };
}

export function fromItem(item: Record<string, unknown>): MessageRecord {
  const reactions: Record<string, string[]> = {};
  const rest: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(REACTION_PREFIX)) reactions[name.slice(REACTION_PREFIX.length)] = [...(value as Set<string>)].sort();
    else if (name !== 'PK' && name !== 'SK' && name !== 'entity' && name !== 'contentZ' && name !== KINDS_ATTRIBUTE && name !== TTL_ATTRIBUTE) rest[name] = value;
  }
  return { ...(rest as unknown as MessageRecord), content: decodeContent(item) ?? '', reactions };
}


/** Puts the message at its seq; false when that seq is taken (`attribute_not_exists`). */
function putIfSeqFree(db: Db, message: MessageRecord): Promise<boolean> {
  return applied(db.client.send(new PutCommand({ TableName: db.table, Item: toItem(message), ConditionExpression: 'attribute_not_exists(PK)' })));
}

async function getMessage(db: Db, chatId: string, seq: number, consistent = false): Promise<MessageRecord | undefined> {
  const out = await db.client.send(new GetCommand({ TableName: db.table, Key: messageKey(chatId, seq), ConsistentRead: consistent }));
  return out.Item ? fromItem(out.Item) : undefined;
}

/** A claim: the id the message will carry (its ULID part) and the lease, with the pointer's TTL. */
function claimItem(key: ClientIdKey, messageUlid: string, nowSeconds: number, leaseSeconds: number) {
  return {
    ...clientIdKey(key.chatId, key.senderId, key.clientMessageId),
    entity: 'clientMessageId',
    messageUlid,
    leaseUntil: nowSeconds + leaseSeconds,
    [TTL_ATTRIBUTE]: nowSeconds + CLIENT_ID_TTL_SECONDS,
  };
}

function pointerFromItem(item: Record<string, unknown>): ClientIdPointer {
  return {
    messageUlid: (item.messageUlid as string | undefined) ?? (typeof item.messageId === 'string' ? item.messageId.split('-')[0] : undefined),
    leaseUntil: item.leaseUntil as number | undefined,
    seq: item.seq as number | undefined,
  };
}

/** How many of a chat's latest messages a repeat looks through for its claimed message. */
const CLAIM_SEARCH_LIMIT = 1_000;

/**
 * The message a pointer designates: by key when it has a `seq`; else among
 * the chat's latest `CLAIM_SEARCH_LIMIT` messages, newest first, by its id
 * prefix (a claimed message is at most as old as the claim, so it is near
 * the top). Strongly consistent. Costs ⌈items read × size / 4 KB⌉ RCU, only
 * on repeats.
 */
async function findClaimedMessage(db: Db, chatId: string, pointer: ClientIdPointer): Promise<MessageRecord | undefined> {
  if (pointer.seq !== undefined) return getMessage(db, chatId, pointer.seq, true);
  if (!pointer.messageUlid) return undefined;
  let read = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const out = await db.client.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :msg)',
        FilterExpression: 'begins_with(id, :prefix)',
        ExpressionAttributeValues: { ':pk': chatPk(chatId), ':msg': PREFIX.message, ':prefix': `${pointer.messageUlid}-` },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: 100,
        ExclusiveStartKey,
      }),
    );
    if (out.Items?.[0]) return fromItem(out.Items[0]);
    read += out.ScannedCount ?? 0;
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey && read < CLAIM_SEARCH_LIMIT);
  return undefined;
}

/** A conditional UpdateItem of a message answering the message after it, or the failed condition's item (with ALL_OLD). */
async function updateMessage(
  db: Db,
  input: Omit<UpdateCommandInput, 'TableName' | 'ReturnValues'>,
): Promise<{ applied: true; message: MessageRecord } | { applied: false; existing?: Record<string, unknown> }> {
  const out = await conditional(db.client.send(new UpdateCommand({ ...input, TableName: db.table, ReturnValues: 'ALL_NEW' })));
  return out.applied ? { applied: true, message: fromItem(out.output.Attributes!) } : out;
}

/** The `MessageStore` port on one table. */
export function messageStore(db: Db): MessageStore {
  return {
    /**
     * Stores a message at its seq (`attribute_not_exists`). With attachments, in
     * one transaction with each attachment slot moved from `pending` to
     * `attached` (condition: still pending, owned by the sender). Without
     * attachments, a single conditional PutItem (half the write cost of a
     * transaction). The caller claims a `clientMessageId` beforehand
     * (`claimClientId`). `retry`: the transaction collided with another one in
     * flight (TransactionConflict); try again.
     */
    async putAtomically(message) {
      const attachments = message.attachments ?? [];
      if (attachments.length === 0) return (await putIfSeqFree(db, message)) ? 'stored' : 'seq-taken';
      const items = [
        { Put: { TableName: db.table, Item: toItem(message), ConditionExpression: 'attribute_not_exists(PK)' } },
        ...attachments.map((a) => ({
          Update: {
            TableName: db.table,
            Key: attachmentKey(message.chatId, a.id),
            UpdateExpression: 'SET #status = :attached, messageId = :message REMOVE #ttl, expiresAt',
            ConditionExpression: '#status = :pending AND ownerId = :sender',
            ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':attached': 'attached', ':pending': 'pending', ':message': message.id, ':sender': message.senderId },
          },
        })),
      ];
      try {
        await db.client.send(new TransactWriteCommand({ TransactItems: items }));
        return 'stored';
      } catch (error) {
        const reasons = cancellationReasons(error);
        const failed = (i: number) => reasons[i]?.code === 'ConditionalCheckFailed';
        if (failed(0)) return 'seq-taken';
        if (attachments.some((_, i) => failed(i + 1))) return 'attachment-used';
        if (reasons.some((r) => r.code === 'TransactionConflict')) return 'retry';
        throw error;
      }
    },

    /**
     * Claims `clientMessageId` for a message whose id will start with
     * `messageUlid`: one conditional PutItem. When the id is claimed already,
     * the failed condition returns the existing pointer (ALL_OLD).
     */
    async claimClientId(key, messageUlid, now, leaseSeconds) {
      const item = claimItem(key, messageUlid, Math.floor(now.getTime() / 1000), leaseSeconds);
      const out = await conditional(
        db.client.send(new PutCommand({ TableName: db.table, Item: item, ConditionExpression: 'attribute_not_exists(PK)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })),
      );
      if (out.applied) return undefined;
      // No item although the condition failed cannot happen; answer an expired claim, which the caller takes over.
      return out.existing ? pointerFromItem(out.existing) : { messageUlid: '', leaseUntil: 0 };
    },

    /** Takes over a claim whose lease ran out (or a released one); false when someone else did first. */
    async takeOverClientId(key, previous, messageUlid, now, leaseSeconds) {
      const nowSeconds = Math.floor(now.getTime() / 1000);
      return applied(
        db.client.send(
          new PutCommand({
            TableName: db.table,
            Item: claimItem(key, messageUlid, nowSeconds, leaseSeconds),
            ConditionExpression: previous.messageUlid ? 'messageUlid = :previous AND leaseUntil < :now' : 'attribute_not_exists(PK)',
            ExpressionAttributeValues: previous.messageUlid ? { ':previous': previous.messageUlid, ':now': nowSeconds } : undefined,
          }),
        ),
      );
    },

    /** Gives a claim up (the send failed before storing anything), so a retry need not wait for the lease. */
    async releaseClientId(key, messageUlid) {
      await applied(
        db.client.send(
          new DeleteCommand({
            TableName: db.table,
            Key: clientIdKey(key.chatId, key.senderId, key.clientMessageId),
            ConditionExpression: 'messageUlid = :mine',
            ExpressionAttributeValues: { ':mine': messageUlid },
          }),
        ),
      );
    },

    findClaimedMessage: (chatId, pointer) => findClaimedMessage(db, chatId, pointer),

    /** One Query of the chat's messages, newest first, `Limit 1`, keys and seq only. */
    async latestSeq(chatId) {
      const out = await db.client.send(
        new QueryCommand({
          TableName: db.table,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': chatPk(chatId), ':prefix': PREFIX.message },
          ProjectionExpression: 'seq',
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
        }),
      );
      return (out.Items?.[0]?.seq as number | undefined) ?? 0;
    },

    get: (chatId, seq, consistent) => getMessage(db, chatId, seq, consistent),

    /** The message a sender stored earlier with this `clientMessageId`, if any (strongly consistent). */
    async findByClientId(chatId, senderId, clientMessageId) {
      const pointer = await db.client.send(
        new GetCommand({ TableName: db.table, Key: clientIdKey(chatId, senderId, clientMessageId), ConsistentRead: true }),
      );
      if (!pointer.Item) return undefined;
      return findClaimedMessage(db, chatId, pointerFromItem(pointer.Item));
    },

    /**
     * Replaces the content if the message is still the author's, not deleted
     * and sent at or after `editableSince` (the edit window). Undefined when a
     * condition failed.
     */
    async edit(target, change) {
      const stored = encodeContent(change.content);
      // The content changes form when the edit crosses the compression threshold: the other form goes.
      const [set, remove] = 'contentZ' in stored ? ['contentZ', 'content'] : ['content', 'contentZ'];
      // New mentions replace the old ones (none: the attribute goes); absent: they stay.
      const mentions = change.mentions === undefined ? '' : change.mentions.length > 0 ? ', mentions = :mentions' : '';
      const removeMentions = change.mentions !== undefined && change.mentions.length === 0 ? ', mentions' : '';
      const out = await updateMessage(db, {
        Key: messageKey(target.chatId, target.seq),
        UpdateExpression: `SET ${set} = :content, editedAt = :at${mentions} REMOVE ${remove}${removeMentions}`,
        ConditionExpression: 'id = :id AND senderId = :sender AND attribute_not_exists(deletedAt) AND createdAt >= :since',
        ExpressionAttributeValues: {
          ':content': 'contentZ' in stored ? stored.contentZ : stored.content,
          ':at': change.editedAt,
          ':id': target.id,
          ':sender': target.senderId,
          ':since': change.editableSince,
          ...(mentions ? { ':mentions': change.mentions } : {}),
        },
      });
      return out.applied ? out.message : undefined;
    },

    /**
     * Soft delete (SPEC §3): content "", attachments and metadata dropped,
     * `deletedAt` set. When it was deleted already, the failed condition
     * returns the stored message (ALL_OLD), so no second read.
     */
    /**
     * Soft delete (SPEC §3, §4): content "", attachments, metadata and every
     * reaction dropped, `deletedAt` set. `reactions` are the reactions the
     * caller read; one added after that read and before the delete (none can
     * be added after it: every reaction update is conditional on `deletedAt`
     * being absent) shows up in the answer and is removed by a follow-up
     * update, as are reactions beyond the first 100 (the expression size
     * limit).
     */
    async softDelete(target, deletedAt, reactions = []) {
      const first = reactions.slice(0, REMOVES_PER_UPDATE).map((r) => REACTION_PREFIX + r);
      const out = await updateMessage(db, {
        Key: messageKey(target.chatId, target.seq),
        UpdateExpression: `SET content = :empty, deletedAt = :at REMOVE contentZ, attachments, metadata, ${KINDS_ATTRIBUTE}${first.map((_, i) => `, #r${i}`).join('')}`,
        ConditionExpression: 'id = :id AND attribute_not_exists(deletedAt)',
        ExpressionAttributeNames: first.length > 0 ? Object.fromEntries(first.map((name, i) => [`#r${i}`, name])) : undefined,
        ExpressionAttributeValues: { ':empty': '', ':at': deletedAt, ':id': target.id },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
      if (!out.applied) return { deleted: false, message: out.existing?.id === target.id ? fromItem(out.existing) : undefined };
      let message = out.message;
      while (Object.keys(message.reactions).length > 0) {
        const rest = Object.keys(message.reactions).slice(0, REMOVES_PER_UPDATE).map((r) => REACTION_PREFIX + r);
        const next = await db.client.send(
          new UpdateCommand({
            TableName: db.table,
            Key: messageKey(target.chatId, target.seq),
            UpdateExpression: `REMOVE ${rest.map((_, i) => `#r${i}`).join(', ')}`,
            ExpressionAttributeNames: Object.fromEntries(rest.map((name, i) => [`#r${i}`, name])),
            ReturnValues: 'ALL_NEW',
          }),
        );
        message = fromItem(next.Attributes!);
      }
      return { deleted: true, message };
    },

    /**
     * Adds or removes one user's reaction with one conditional UpdateItem
     * that also keeps `reactionKinds` (distinct reactions) exact: a reaction
     * nobody had is added only while `reactionKinds < maxKinds` (SPEC §4:
     * 50), and the last user removing one lowers it. The condition includes
     * what the caller read (the reaction exists or not, the caller is its
     * only user or not), so `stale` (nothing written) means the message
     * changed or was deleted meanwhile: read it again. Messages from before
     * `reactionKinds` start from the count the caller read.
     */
    async react(target, change) {
      const base = 'id = :id AND attribute_not_exists(deletedAt)';
      const names = { '#r': REACTION_PREFIX + change.reaction };
      let input: Omit<UpdateCommandInput, 'TableName' | 'ReturnValues' | 'Key'>;
      if (change.add && change.current.users > 0) {
        input = {
          UpdateExpression: 'ADD #r :user',
          ConditionExpression: `${base} AND attribute_exists(#r)`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':user': new Set([change.userId]), ':id': target.id },
        };
      } else if (change.add) {
        input = {
          UpdateExpression: 'ADD #r :user SET #k = if_not_exists(#k, :kinds) + :one',
          ConditionExpression: `${base} AND attribute_not_exists(#r) AND (attribute_not_exists(#k) OR #k < :max)`,
          ExpressionAttributeNames: { ...names, '#k': KINDS_ATTRIBUTE },
          ExpressionAttributeValues: { ':user': new Set([change.userId]), ':id': target.id, ':kinds': change.current.kinds, ':one': 1, ':max': change.maxKinds },
        };
      } else if (change.current.users > 1) {
        input = {
          UpdateExpression: 'DELETE #r :user',
          ConditionExpression: `${base} AND contains(#r, :uid) AND size(#r) > :one`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':user': new Set([change.userId]), ':uid': change.userId, ':id': target.id, ':one': 1 },
        };
      } else {
        input = {
          UpdateExpression: 'REMOVE #r SET #k = if_not_exists(#k, :kinds) - :one',
          ConditionExpression: `${base} AND contains(#r, :uid) AND size(#r) = :one`,
          ExpressionAttributeNames: { ...names, '#k': KINDS_ATTRIBUTE },
          ExpressionAttributeValues: { ':uid': change.userId, ':id': target.id, ':kinds': change.current.kinds, ':one': 1 },
        };
      }
      const out = await updateMessage(db, { ...input, Key: messageKey(target.chatId, target.seq) });
      return out.applied ? out.message : 'stale';
    },

    /** Messages of one chat by seq (BatchGetItem, ⌈n/100⌉ requests, eventually consistent); missing ones absent. */
    async getMany(chatId, seqs) {
      const items = await batchGet(db, [...new Set(seqs)].map((seq) => messageKey(chatId, seq)));
      return items.map(fromItem);
    },

    /** One Query of `limit + 1` items; the extra item only tells `hasMore`. */
    async page(chatId, range) {
      const ascending = range.after !== undefined;
      let condition = 'PK = :pk AND begins_with(SK, :prefix)';
      const values: Record<string, unknown> = { ':pk': chatPk(chatId), ':prefix': PREFIX.message };
      if (range.after !== undefined) {
        condition = 'PK = :pk AND SK BETWEEN :from AND :to';
        Object.assign(values, { ':from': messageSk(range.after + 1), ':to': LAST_MESSAGE_SK });
        delete values[':prefix'];
      } else if (range.before !== undefined) {
        condition = 'PK = :pk AND SK BETWEEN :from AND :to';
        Object.assign(values, { ':from': messageSk(0), ':to': messageSk(Math.max(0, range.before - 1)) });
        delete values[':prefix'];
      }
      const out = await db.client.send(
        new QueryCommand({
          TableName: db.table,
          KeyConditionExpression: condition,
          ExpressionAttributeValues: values,
          ScanIndexForward: ascending,
          Limit: range.limit + 1,
        }),
      );
      const items = (out.Items ?? []).map(fromItem);
      const hasMore = items.length > range.limit;
      const messages = items.slice(0, range.limit);
      if (!ascending) messages.reverse();
      return { messages, hasMore };
    },
  };
}
