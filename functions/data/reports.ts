/**
 * SPEC §9 reports.
 *
 * Items: the report `REPORT#<id>` / `REPORT` (on GSI1 `REPORTS` /
 * `<rank>#<status>#<createdAt>#<id>`, rank 0 for open, so the queue reads
 * open reports first, oldest first), one uniqueness item per reporter and
 * message in the partition of the message's author (`USER#<authorId>` /
 * `REPORTED#<chatId>#<messageId>#<reporterId>` → the report id), written in
 * the same transaction, so reporting twice (also concurrently) stores one
 * report, and a pointer in the reporter's partition (`USER#<reporterId>` /
 * `REPORT#<id>`, same transaction) for the reports a user filed (SPEC §10
 * export and erasure). The uniqueness item sits with the author so that the
 * author's erasure finds the reports of their messages by key (SPEC §10:
 * their content leaves the snapshots) at no extra write per report.
 *
 * Access patterns: create (TransactWriteItems of the three), get (GetItem),
 * the queue (Query of GSI1, optionally `begins_with` one status, 1 MB
 * pages), then BatchGetItem of the page's reports, since GSI1 projects keys
 * only; the oldest open report (the same Query, `Limit: 1`, for the SLA
 * metric), resolve (UpdateItem conditional on `status = open`, so two admins
 * resolving one report resolve it once); a reporter's reports (Query of
 * `begins_with(SK, "REPORT#")` in their partition, then BatchGetItem);
 * remove (TransactWriteItems deleting the three items, unconditionally, so
 * an erasure that crashed mid-way can run it again); the reports of an
 * author's messages (Query of `begins_with(SK, "REPORTED#")` in their
 * partition, `Limit` a page, then BatchGetItem); replace a snapshot
 * (UpdateItem `SET message` conditional on the report existing).
 */
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ReportStore } from '../domain/ports';
import type { ReportRecord } from '../domain/types';
import { batchGet, cancellationReasons, conditional, queryAll, type Db } from './client';
import { PREFIX, REPORT_QUEUE, reportedMessageKey, reportIndexKeys, reportKey, reporterReportKey, reportStatusPrefix, userPk } from './keys';
import { GSI1 } from './table';

export function toItem(report: ReportRecord) {
  return { ...reportKey(report.id), ...reportIndexKeys(report), entity: 'report', ...report };
}

export function fromItem(item: Record<string, unknown>): ReportRecord {
  const { PK: _pk, SK: _sk, entity: _e, GSI1PK: _g1p, GSI1SK: _g1s, ...rest } = item;
  return rest as unknown as ReportRecord;
}

/**
 * The author of the reported message: the snapshot's `senderId` (SPEC §9:
 * the report keeps the message as reported; erasure keeps the id, SPEC §10).
 * Throws on a report without one, which the domain never builds.
 */
export function authorOf(report: Pick<ReportRecord, 'id' | 'message'>): string {
  const senderId = report.message?.senderId;
  if (typeof senderId !== 'string' || senderId === '') throw new Error(`Report ${report.id} has no message.senderId.`);
  return senderId;
}

/** The uniqueness item of a report: one per reporter and message, in the author's partition. */
const uniqueKeyOf = (report: Pick<ReportRecord, 'id' | 'chatId' | 'messageId' | 'reporterId' | 'message'>) =>
  reportedMessageKey(authorOf(report), report.chatId, report.messageId, report.reporterId);

export function reportStore(db: Db): ReportStore {
  async function get(reportId: string, consistent = false) {
    const out = await db.client.send(new GetCommand({ TableName: db.table, Key: reportKey(reportId), ConsistentRead: consistent }));
    return out.Item ? fromItem(out.Item) : undefined;
  }
  return {
    async create(report) {
      const unique = uniqueKeyOf(report);
      try {
        await db.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: db.table,
                  Item: { ...unique, entity: 'unique', reportId: report.id },
                  ConditionExpression: 'attribute_not_exists(PK)',
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              { Put: { TableName: db.table, Item: toItem(report), ConditionExpression: 'attribute_not_exists(PK)' } },
              { Put: { TableName: db.table, Item: { ...reporterReportKey(report.reporterId, report.id), entity: 'reporterReport', reportId: report.id } } },
            ],
          }),
        );
        return { created: true };
      } catch (error) {
        const existing = cancellationReasons(error)[0]?.item?.reportId;
        if (typeof existing === 'string') return { created: false, reportId: existing };
        throw error;
      }
    },

    get,

    async page({ status, limit, start }) {
      const out = await db.client.send(
        new QueryCommand({
          TableName: db.table,
          IndexName: GSI1.indexName,
          KeyConditionExpression: status ? 'GSI1PK = :pk AND begins_with(GSI1SK, :prefix)' : 'GSI1PK = :pk',
          ExpressionAttributeValues: { ':pk': REPORT_QUEUE, ...(status ? { ':prefix': reportStatusPrefix(status) } : {}) },
          Limit: limit,
          ExclusiveStartKey: start,
        }),
      );
      // GSI1 projects keys (and a few fan-out attributes) only: the reports themselves come from one BatchGetItem.
      const keys = (out.Items ?? []).map((i) => ({ PK: i.PK as string, SK: i.SK as string }));
      const byPk = new Map((await batchGet(db, keys)).map((item) => [item.PK as string, fromItem(item)]));
      return { reports: keys.map((k) => byPk.get(k.PK)).filter((r) => r !== undefined), next: out.LastEvaluatedKey };
    },

    async resolve(reportId, change) {
      const current = await get(reportId, true);
      if (!current || current.status !== 'open') return undefined;
      const next: ReportRecord = { ...current, ...change };
      const result = await conditional(
        db.client.send(
          new UpdateCommand({
            TableName: db.table,
            Key: reportKey(reportId),
            UpdateExpression: 'SET #status = :status, resolvedAt = :at, resolvedBy = :by, #action = :action, GSI1SK = :sk',
            ConditionExpression: '#status = :open',
            ExpressionAttributeNames: { '#status': 'status', '#action': 'action' },
            ExpressionAttributeValues: {
              ':status': change.status,
              ':at': change.resolvedAt,
              ':by': change.resolvedBy,
              ':action': change.action,
              ':sk': reportIndexKeys(next).GSI1SK,
              ':open': 'open',
            },
          }),
        ),
      );
      return result.applied ? next : undefined;
    },

    async listByReporter(reporterId) {
      const pointers = await queryAll(db, {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': userPk(reporterId), ':prefix': PREFIX.report },
      });
      const reports = (await batchGet(db, pointers.map((p) => reportKey(p.reportId as string)))).map(fromItem);
      return reports.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    },

    async remove(report) {
      await db.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { TableName: db.table, Key: reportKey(report.id) } },
            { Delete: { TableName: db.table, Key: uniqueKeyOf(report) } },
            { Delete: { TableName: db.table, Key: reporterReportKey(report.reporterId, report.id) } },
          ],
        }),
      );
    },

    async pageByAuthor(authorId, { limit, after }) {
      const pk = userPk(authorId);
      const out = await db.client.send(
        new QueryCommand({
          TableName: db.table,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': PREFIX.reported },
          Limit: limit,
          ExclusiveStartKey: after ? { PK: pk, SK: after } : undefined,
        }),
      );
      const pointers = out.Items ?? [];
      const byId = new Map((await batchGet(db, pointers.map((p) => reportKey(p.reportId as string)))).map((item) => [item.id as string, fromItem(item)]));
      const next = out.LastEvaluatedKey?.SK;
      return {
        // A pointer whose report is gone (a reporter erased meanwhile) is skipped.
        reports: pointers.map((p) => byId.get(p.reportId as string)).filter((r) => r !== undefined),
        ...(typeof next === 'string' ? { next } : {}),
      };
    },

    async replaceSnapshot(reportId, message) {
      const result = await conditional(
        db.client.send(
          new UpdateCommand({
            TableName: db.table,
            Key: reportKey(reportId),
            UpdateExpression: 'SET #message = :message',
            // Without it, an update of a report deleted meanwhile would create a stray item.
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeNames: { '#message': 'message' },
            ExpressionAttributeValues: { ':message': message },
          }),
        ),
      );
      return result.applied;
    },
  };
}
