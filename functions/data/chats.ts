/**
 * Chats: the chat item `PK = CHAT#<chatId>`, `SK = META`, and the uniqueness
 * items that make creation idempotent, `PK = UNIQUE#<key>`, `SK = UNIQUE`
 * (`key` is `direct#<a>#<b>` with sorted ids, `context#<chat type>#<context
 * type>#<context id>#<hash of the people>`, or
 * `support#<requesterId>` while that requester has a support chat that is
 * not closed; see `keys.ts`).
 *
 * Support chats are also in the support queue: GSI1 `SUPPORT` /
 * `<status>#<createdAt>#<chatId>` (all support chats by status, oldest
 * first) and GSI2 `AGENT#<assigneeId|none>` / the same sort key (by
 * assignee). Status and assignee changes rewrite those keys; messages do not
 * touch them.
 *
 * Access patterns: get many (BatchGetItem ⌈n/100⌉), get a chat with the
 * caller's membership (one consistent BatchGetItem), create
 * (TransactWriteItems, conditional on the uniqueness item, which answers the
 * existing chat id itself when taken), record a new message (UpdateItem
 * conditional on `lastSeq < :seq`), allocate a seq (one UpdateItem, `ADD
 * lastSeq :one`), update (UpdateItem, or a TransactWriteItems that also frees
 * the uniqueness item), replace the preview after an edit or delete
 * (UpdateItem conditional on the preview, moving the sync head `changedAt`
 * in the same write).
 *
 * `lastMessage` has two stored forms: the full preview (`id`, `seq`, ...),
 * written by `recordMessage` and `replacePreview`, and the form `allocateSeq`
 * writes before the seq is known, `{ulid, senderId, type, content,
 * createdAt}`, whose `id` and `seq` follow from the item's `lastSeq`
 * (`fromItem` completes it, so the domain only ever sees full previews).
 */
import { GetCommand, TransactWriteCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ChatStore } from '../domain/ports';
import type { ChatRecord, MessagePreview } from '../domain/types';
import { applied, batchGet, batchWrite, cancellationReasons, conditional, isConditionFailure, type Db } from './client';
import { messageId } from '../domain/ids';
import { chatKey, membershipKey, supportIndexKeys, uniqueKey } from './keys';
import * as memberships from './memberships';

export function toItem(chat: ChatRecord) {
  return { ...chatKey(chat.id), ...supportIndexKeys(chat), entity: 'chat', ...chat };
}

export function fromItem(item: Record<string, unknown>): ChatRecord {
  const { PK: _pk, SK: _sk, entity: _e, GSI1PK: _g1p, GSI1SK: _g1s, GSI2PK: _g2p, GSI2SK: _g2s, ...rest } = item;
  const chat = rest as unknown as ChatRecord;
  chat.participantCount ??= 0;
  // The form `allocateSeq` writes: the message's id and seq follow from the seq it allocated.
  const last = rest.lastMessage as (Omit<MessagePreview, 'id' | 'seq'> & { ulid?: string; id?: string }) | undefined;
  if (last?.ulid !== undefined) {
    const { ulid, ...fields } = last;
    chat.lastMessage = { ...fields, id: messageId(ulid, chat.lastSeq), seq: chat.lastSeq };
  }
  return chat;
}

/** TransactWriteItems takes at most 100 actions; two go to the chat and its uniqueness item. */
const MEMBERS_IN_TRANSACTION = 98;

/** SET/REMOVE of `fields` (undefined values are removed), with the names and values they use. */
function setOrRemove(fields: Record<string, unknown>) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const removes: string[] = [];
  Object.entries(fields).forEach(([field, value], i) => {
    names[`#f${i}`] = field;
    if (value === undefined) removes.push(`#f${i}`);
    else {
      values[`:v${i}`] = value;
      sets.push(`#f${i} = :v${i}`);
    }
  });
  const expression = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].join(' ').trim();
  return { expression, names, values };
}

/**
 * A conditional UpdateItem of the chat item whose failed condition is an
 * expected outcome (a late or repeated write), not an error.
 */
async function updateChatItem(db: Db, chatId: string, update: Pick<UpdateCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeValues'>) {
  await applied(db.client.send(new UpdateCommand({ TableName: db.table, Key: chatKey(chatId), ...update })));
}

/** The `ChatStore` port on one table. */
export function chatStore(db: Db): ChatStore {
  return {
    /**
     * Writes the chat, the uniqueness item (when given) and the memberships.
     * The chat, the uniqueness item and the first 98 memberships are one
     * transaction, so a concurrent create of the same pair or context yields
     * one chat; when the uniqueness item exists, its failed condition returns
     * it (ALL_OLD) with the chat id. Larger groups (SPEC §5 allows 1,000) add
     * the remaining memberships with BatchWriteItem afterwards; the creator is
     * always in the transaction.
     */
    async create(chat, members, unique) {
      const first = members.slice(0, MEMBERS_IN_TRANSACTION);
      const rest = members.slice(MEMBERS_IN_TRANSACTION);
      try {
        await db.client.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: db.table, Item: toItem(chat), ConditionExpression: 'attribute_not_exists(PK)' } },
              ...(unique
                ? [
                    {
                      Put: {
                        TableName: db.table,
                        Item: { ...uniqueKey(unique), entity: 'unique', chatId: chat.id },
                        ConditionExpression: 'attribute_not_exists(PK)',
                        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
                      },
                    },
                  ]
                : []),
              ...first.map((m) => ({ Put: { TableName: db.table, Item: memberships.toItem(m) } })),
            ],
          }),
        );
      } catch (error) {
        const existing = unique && cancellationReasons(error)[1]?.item;
        if (!existing) throw error;
        return { created: false, chatId: existing.chatId as string };
      }
      await batchWrite(db, rest.map((m) => ({ PutRequest: { Item: memberships.toItem(m) } })));
      return { created: true };
    },

    /** The chat id behind a uniqueness (GetItem, eventually consistent: a miss is settled by `create`'s condition). */
    async findUnique(unique) {
      const out = await db.client.send(new GetCommand({ TableName: db.table, Key: uniqueKey(unique) }));
      return out.Item?.chatId as string | undefined;
    },

    async getMany(chatIds) {
      const items = await batchGet(db, chatIds.map(chatKey));
      return items.map(fromItem);
    },

    async getWithMembership(chatId, userId) {
      const items = await batchGet(db, [chatKey(chatId), membershipKey(chatId, userId)], true);
      const chatItem = items.find((i) => i.entity === 'chat');
      const memberItem = items.find((i) => i.entity === 'membership');
      return { chat: chatItem && fromItem(chatItem), membership: memberItem && memberships.fromItem(memberItem) };
    },

    /**
     * Moves the chat's `lastSeq`, `lastMessage` and `lastActivityAt` to a newly
     * stored message. The condition keeps them monotonic when two sends finish
     * out of order; losing that race is the expected outcome, not an error.
     */
    async recordMessage(chatId, preview) {
      await updateChatItem(db, chatId, {
        UpdateExpression: 'SET lastSeq = :seq, lastMessage = :preview, lastActivityAt = :at, updatedAt = :at',
        ConditionExpression: 'attribute_exists(PK) AND lastSeq < :seq',
        ExpressionAttributeValues: { ':seq': preview.seq, ':preview': preview, ':at': preview.createdAt },
      });
    },

    /**
     * Allocates the chat's next seq with one atomic UpdateItem: `ADD lastSeq
     * :one` with `ReturnValues: UPDATED_NEW`, which also makes the message
     * about to be stored the chat's `lastMessage` and moves `lastActivityAt`.
     * DynamoDB serializes updates of one item, so k simultaneous senders cost
     * k updates (no retries) and get k distinct, increasing seqs; and since
     * every allocation writes its own preview, the last writer is always the
     * highest seq: an earlier seq can never overwrite a later one's preview.
     * Undefined (nothing written) when the chat does not exist.
     * Cost: 1 WCU while the chat item is ≤ 1 KB.
     */
    async allocateSeq(chatId, next) {
      const { ulid, senderId, type, content, createdAt } = next;
      const out = await conditional(
        db.client.send(
          new UpdateCommand({
            TableName: db.table,
            Key: chatKey(chatId),
            UpdateExpression: 'ADD lastSeq :one SET lastMessage = :preview, lastActivityAt = :at, updatedAt = :at',
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeValues: { ':one': 1, ':preview': { ulid, senderId, type, content, createdAt }, ':at': createdAt },
            ReturnValues: 'UPDATED_NEW',
          }),
        ),
      );
      return out.applied ? (out.output.Attributes?.lastSeq as number) : undefined;
    },

    /**
     * Updates chat fields (and the support-queue keys derived from them) on the
     * condition that the chat exists and that each `expect`ed field still has the
     * given value (optimistic concurrency). With `releaseUnique`, the uniqueness
     * item is deleted in the same transaction, on the condition that it is this
     * chat's (a support chat being closed frees its requester to open a new one).
     * Answers `current` with the changes, or undefined when a condition failed.
     */
    async update(current, changes, options = {}) {
      const next = { ...current, ...changes } as ChatRecord;
      const { expression, names, values } = setOrRemove({ ...changes, ...supportIndexKeys(next) });
      const conditions = ['attribute_exists(PK)'];
      Object.entries(options.expect ?? {}).forEach(([field, value], i) => {
        names[`#e${i}`] = field;
        if (value === null || value === undefined) {
          conditions.push(`(attribute_not_exists(#e${i}) OR #e${i} = :null)`);
          values[':null'] = null;
        } else {
          values[`:e${i}`] = value;
          conditions.push(`#e${i} = :e${i}`);
        }
      });
      const update = {
        TableName: db.table,
        Key: chatKey(current.id),
        UpdateExpression: expression,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
      };
      try {
        if (options.releaseUnique) {
          await db.client.send(
            new TransactWriteCommand({
              TransactItems: [
                { Update: update },
                {
                  Delete: {
                    TableName: db.table,
                    Key: uniqueKey(options.releaseUnique),
                    ConditionExpression: 'attribute_not_exists(PK) OR chatId = :chat',
                    ExpressionAttributeValues: { ':chat': current.id },
                  },
                },
              ],
            }),
          );
        } else {
          await db.client.send(new UpdateCommand(update));
        }
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
      return next;
    },

    /**
     * One conditional UpdateItem: `SET lastMessage` while it shows the same
     * message (either stored form, see the module comment). With `head`, the
     * same UpdateItem also sets `changedAt`, conditional on it moving forward
     * (a head never moves back: `domain/change-log.ts`); when only that part
     * of the condition failed (a concurrent change moved the head past
     * `head`, seen in the ALL_OLD item), the preview is replaced by a second
     * UpdateItem without it and the later head is answered. Cost: 1 WCU
     * while the chat item is ≤ 1 KB (2 in that race).
     */
    async replacePreview(chatId, preview, head) {
      const showsIt = 'lastMessage.id = :id OR (lastMessage.ulid = :ulid AND lastSeq = :seq)';
      const ulid = preview.id.split('-')[0];
      const values = { ':preview': preview, ':id': preview.id, ':ulid': ulid, ':seq': preview.seq };
      let later: string | undefined;
      if (head !== undefined) {
        const out = await conditional(
          db.client.send(
            new UpdateCommand({
              TableName: db.table,
              Key: chatKey(chatId),
              UpdateExpression: 'SET lastMessage = :preview, changedAt = :head',
              ConditionExpression: `(${showsIt}) AND (attribute_not_exists(changedAt) OR changedAt < :head)`,
              ExpressionAttributeValues: { ...values, ':head': head },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        );
        if (out.applied) return { replaced: true, changedAt: head };
        const last = out.existing?.lastMessage as { id?: string; ulid?: string } | undefined;
        const same = last !== undefined && (last.id === preview.id || (last.ulid === ulid && out.existing?.lastSeq === preview.seq));
        if (!same) return { replaced: false };
        later = out.existing?.changedAt as string;
      }
      const replaced = await applied(
        db.client.send(new UpdateCommand({ TableName: db.table, Key: chatKey(chatId), UpdateExpression: 'SET lastMessage = :preview', ConditionExpression: showsIt, ExpressionAttributeValues: values })),
      );
      return replaced && later !== undefined ? { replaced, changedAt: later } : { replaced };
    },

    /** Stamps the first response of a support chat once (`attribute_not_exists`); later calls change nothing. */
    async recordFirstResponse(chatId, at, seconds) {
      await updateChatItem(db, chatId, {
        UpdateExpression: 'SET firstResponseAt = :at, firstResponseSeconds = :s',
        ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(firstResponseAt)',
        ExpressionAttributeValues: { ':at': at, ':s': seconds },
      });
    },
  };
}
