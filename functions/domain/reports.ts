/**
 * SPEC §9 reports: a participant reports a message
 * (`POST /v1/chats/{chatId}/messages/{messageId}/reports`), admins work the
 * queue (`GET /v1/moderation/reports`, open first, oldest first) and close
 * reports (`PATCH /v1/moderation/reports/{id}`), optionally deleting the
 * message or banning its author.
 *
 * - Idempotent per reporter and message: reporting again answers the first
 *   report (`created: false`, HTTP 200), also when two reports race.
 * - The report keeps the message as it was when reported (`message`,
 *   content included), so a later edit or delete cannot hide the evidence;
 *   only the erasure of its author (SPEC §10) empties it, to the deleted
 *   form the message itself takes ({@link erasedReportSnapshot}).
 * - Each new report is published to the bus as `chat.report.created`
 *   `{reportId, chatId, messageId, reporterId, reason, createdAt}`: ids
 *   only, never the content (a rule on the bus may forward it anywhere).
 * - Closing is conditional on the report still being open, so two admins
 *   resolving one report close it once: the second gets 409, and its
 *   action is not applied.
 */
import { isDeepStrictEqual } from 'node:util';
import * as z from 'zod';
import type { CursorScope } from './cursors';
import { BadRequestError, ConflictError, NotFoundError } from './errors';
import type { MessageT, ReportT } from '../schemas';
import { presentMessage } from './attachments';
import { AUDIT_ACTIONS, recordAudit } from './audit';
import { setPlatformBan } from './bans';
import { requireParticipant } from './chats';
import type { DomainContext } from './context';
import { withSlot } from './limits';
import { deleteMessage, findMessage } from './messages';
import type { Principal, ReportAction, ReportReason, ReportRecord, ReportStatus } from './types';

export const REPORT_CREATED = 'chat.report.created';

const view = (report: ReportRecord): ReportT => report as unknown as ReportT;

/** `POST …/reports`: 201 with a new report, or `created: false` with the caller's first report of this message. */
export async function reportMessage(
  ctx: DomainContext,
  principal: Principal,
  chatId: string,
  messageId: string,
  input: { reason: ReportReason; details?: string },
): Promise<{ report: ReportT; created: boolean }> {
  await withSlot(ctx, principal.userId, 'writes', requireParticipant(ctx, principal, chatId));
  const message = await findMessage(ctx, chatId, messageId);
  if (message.senderId === principal.userId) throw new BadRequestError('You cannot report your own message.');
  const report: ReportRecord = {
    id: ctx.newId(),
    chatId,
    messageId,
    reporterId: principal.userId,
    reason: input.reason,
    ...(input.details ? { details: input.details } : {}),
    status: 'open',
    createdAt: ctx.now().toISOString(),
    message: (await presentMessage(ctx, message)) as unknown as Record<string, unknown>,
  };
  const result = await ctx.repo.reports.create(report);
  if (!result.created) {
    const first = await ctx.repo.reports.get(result.reportId, true);
    if (!first) throw new ConflictError('This report is being stored; retry.');
    return { report: view(first), created: false };
  }
  await ctx.bus.publish([
    { detailType: REPORT_CREATED, detail: { reportId: report.id, chatId, messageId, reporterId: principal.userId, reason: report.reason, createdAt: report.createdAt } },
  ]);
  return { report: view(report), created: true };
}

/** What a queue cursor may hold: the store's opaque position (on DynamoDB a GSI1 key: ≤ 4 string attributes). */
const QueueKey = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,15}$/), z.string().min(1).max(512))
  .refine((key) => Object.keys(key).length >= 1 && Object.keys(key).length <= 4);

/**
 * `GET /v1/moderation/reports`: a page of the queue; `nextCursor` continues
 * it (null on the last page). Cursors are signed (`ctx.cursors`), bound to
 * the caller and the `status` filter: a forged or foreign one answers 400.
 */
export async function listReports(ctx: DomainContext, admin: Principal, input: { status?: ReportStatus; limit: number; cursor?: string }) {
  const scope: CursorScope = { kind: 'moderation-reports', caller: admin.userId, filter: { status: input.status } };
  const start = input.cursor ? ctx.cursors.open(scope, input.cursor, QueueKey) : undefined;
  const page = await ctx.repo.reports.page({ status: input.status, limit: input.limit, start });
  return { reports: page.reports.map(view), nextCursor: page.next ? ctx.cursors.seal(scope, page.next) : null };
}

/**
 * `PATCH /v1/moderation/reports/{id}` (admin): closes an open report, then
 * applies its action: `delete_message` soft-deletes the message (with its
 * `message.deleted` event), `ban_user` bans the author platform-wide
 * (`setPlatformBan`). 404 unknown report, 409 already closed (by another
 * admin, or with another outcome; the same admin repeating the same
 * outcome gets the report again, so a retried request is safe).
 */
export async function resolveReport(ctx: DomainContext, admin: Principal, reportId: string, input: { status: 'resolved' | 'dismissed'; action?: ReportAction }) {
  const action = input.action ?? 'none';
  if (input.status === 'dismissed' && action !== 'none') throw new BadRequestError('A dismissed report takes no action.');
  const current = await ctx.repo.reports.get(reportId, true);
  if (!current) throw new NotFoundError('Report not found.');
  // A retry by the admin who closed it, with the same outcome, answers the report again (and does nothing twice).
  if (current.status !== 'open' && current.resolvedBy === admin.userId && current.status === input.status && current.action === action) return { report: view(current) };
  const resolved = await ctx.repo.reports.resolve(reportId, { status: input.status, resolvedAt: ctx.now().toISOString(), resolvedBy: admin.userId, action });
  if (!resolved) throw new ConflictError('This report is already closed.');
  if (action === 'delete_message') await deleteMessage(ctx, admin, resolved.chatId, resolved.messageId);
  if (action === 'ban_user') {
    const authorId = (resolved.message as { senderId?: string }).senderId;
    if (authorId && authorId !== admin.userId) await setPlatformBan(ctx, admin, authorId, true, `report ${reportId}`);
  }
  await recordAudit(ctx, admin, AUDIT_ACTIONS.reportClosed, { type: 'report', id: reportId }, { status: input.status, action });
  return { report: view(resolved) };
}

/**
 * A report's `message` snapshot after the erasure of its author (SPEC §10:
 * "every message they sent is soft-deleted (content, metadata and
 * attachments…)"): what `GET …/messages` shows of the message itself once
 * erased (`views.ts` `messageView` of a deleted message), so the report
 * keeps no copy of the erased content. Kept: `id`, `chatId`, `seq`,
 * `senderId` (the directory shows it as "Deleted user"), `type`,
 * `mentions`, `pinnedAt`/`pinnedBy`, `clientMessageId`, `createdAt`,
 * `editedAt`, `readBy` (as reported) and `replyTo`, whose `preview` becomes
 * `""` with `deleted: true` when it quotes the erased user (their message
 * is deleted too). Emptied: `content` `""`, `attachments` `[]` (names,
 * sizes and download URLs go), `reactions` `{}`, `metadata` dropped;
 * `deletedAt` is set to `deletedAt` (the message's own deletion time).
 * Pure and idempotent: scrubbing a scrubbed snapshot answers an equal one.
 */
export function erasedReportSnapshot(snapshot: Record<string, unknown>, erasedUserId: string, deletedAt: string): Record<string, unknown> {
  const m = snapshot as Partial<MessageT>;
  const reply = m.replyTo;
  const replyTo = reply && (reply.senderId === erasedUserId ? { id: reply.id, seq: reply.seq, senderId: reply.senderId, preview: '', deleted: true as const } : reply);
  const erased: Record<string, unknown> = {
    id: m.id,
    chatId: m.chatId,
    seq: m.seq,
    senderId: m.senderId,
    type: m.type,
    content: '',
    attachments: [],
    replyTo,
    reactions: {},
    mentions: m.mentions ?? [],
    pinnedAt: m.pinnedAt,
    pinnedBy: m.pinnedBy,
    clientMessageId: m.clientMessageId,
    createdAt: m.createdAt,
    editedAt: m.editedAt,
    deletedAt,
    readBy: m.readBy ?? 0,
  };
  // As stored (DynamoDB drops undefined values): absent, not undefined, so equal snapshots compare equal.
  return Object.fromEntries(Object.entries(erased).filter(([, v]) => v !== undefined));
}

/** Whether a report's snapshot already is `erased` (a resumed erasure writes nothing twice). */
export const snapshotIs = (report: ReportRecord, erased: Record<string, unknown>) => isDeepStrictEqual(report.message, erased);
