/**
 * Export, the right of access (SPEC §10; GDPR art. 15).
 *
 * `POST /v1/me/exports` and `POST /v1/users/{id}/exports` (admin) call
 * {@link requestExport}: a `pending` export and a job on the governance
 * queue. The worker ({@link runExport}) writes ONE JSON document
 * ({@link ExportDocument}) to the bucket under `exports/<userId>/`, where a
 * lifecycle rule deletes it after `exportRetentionDays` (the export record
 * expires with it, DynamoDB TTL). `GET /v1/exports/{id}` answers its
 * requester and admins, with a presigned GET (`url`, `urlExpiresAt`) once
 * `done`; anyone else 404.
 *
 * Cost: per chat of the user one Query per 1 MB of its messages (the whole
 * chat is read: reactions by the user sit on others' messages), one
 * BatchGetItem for the chats, one Query each for memberships, chats left,
 * devices, blocks and reports filed (+ one BatchGetItem per 100 reports),
 * one PutObject.
 */
import { AUDIT_ACTIONS, recordAudit, SYSTEM_ACTOR } from './audit';
import { isAdmin } from './chats';
import type { DomainContext } from './context';
import { NotFoundError } from './errors';
import { takeSlot } from './limits';
import type { ExportRecord } from './ports';
import type { MessageRecord, Principal } from './types';

/** Messages read per Query page while exporting. */
const EXPORT_PAGE = 100;

export interface ExportView {
  id: string;
  userId: string;
  status: ExportRecord['status'];
  createdAt: string;
  finishedAt?: string;
  url?: string;
  urlExpiresAt?: string;
  bytes?: number;
}

/** The document's shape, version 1 (documented in docs/API.md "Export"). */
export interface ExportDocument {
  format: 'chat-export/1';
  exportedAt: string;
  user: { id: string; name: string; email?: string; roles: string[]; createdAt: string; deleted?: true };
  chats: { id: string; type: string; title?: string; role: string; joinedAt: string; lastReadSeq: number; archived: boolean }[];
  /** Chats the user left; their messages there are exported too. */
  formerChats: { id: string; type?: string; title?: string }[];
  messages: {
    id: string;
    chatId: string;
    seq: number;
    type: string;
    content: string;
    createdAt: string;
    editedAt?: string;
    deletedAt?: string;
    metadata?: Record<string, unknown>;
    replyTo?: { id: string; seq: number };
    reactions: Record<string, string[]>;
    attachments: { id: string; filename: string; contentType: string; size: number; kind: string }[];
  }[];
  reactions: { chatId: string; messageId: string; seq: number; reaction: string }[];
  /**
   * SPEC §8: the user's registered push devices. The push token and the SNS
   * endpoint are left out: they are addresses issued by APNs/FCM/SNS that a
   * forwarded export link must not leak, and say nothing about the person.
   */
  devices: { deviceId: string; platform: string; registeredAt: string }[];
  /** SPEC §9: whom the user blocks, oldest first (who blocks them is never shown to them, SPEC §9). */
  blocks: { userId: string; blockedAt: string }[];
  /**
   * SPEC §9: the reports the user filed, oldest first: their own statement
   * and its status. Left out: the copy of the reported message (another
   * user's data), and who resolved it with which action (moderators' data).
   */
  reports: { id: string; chatId: string; messageId: string; reason: string; details?: string; status: string; createdAt: string; resolvedAt?: string }[];
}

export const exportKeyFor = (userId: string, exportId: string) => `exports/${userId}/${exportId}.json`;

/**
 * `POST /v1/me/exports` (`userId` = the caller) or `POST /v1/users/{userId}/exports`
 * (admin; 404 for an unknown user). Each request is a new export and takes
 * a `writes` rate-limit slot. Audited as `export.requested`.
 */
export async function requestExport(ctx: DomainContext, principal: Principal, userId: string): Promise<ExportView> {
  await takeSlot(ctx, principal.userId, 'writes');
  if (userId !== principal.userId && !(await ctx.repo.users.get(userId))) throw new NotFoundError('User not found.');
  const record: ExportRecord = { id: ctx.newId(), userId, requestedBy: principal.userId, status: 'pending', createdAt: ctx.now().toISOString() };
  await ctx.repo.exports.create(record);
  await ctx.jobs.send({ kind: 'export', exportId: record.id, userId });
  await recordAudit(ctx, principal, AUDIT_ACTIONS.exportRequested, { type: 'export', id: record.id }, { userId });
  return exportView(record);
}

/** `GET /v1/exports/{id}`: its requester and admins; a presigned GET once done. */
export async function getExport(ctx: DomainContext, principal: Principal, exportId: string): Promise<ExportView> {
  const record = await ctx.repo.exports.get(exportId);
  if (!record || (record.requestedBy !== principal.userId && !isAdmin(principal))) throw new NotFoundError('Export not found.');
  const view = exportView(record);
  if (record.status !== 'done' || !record.key) return view;
  const seconds = ctx.limits.exportUrlSeconds;
  const url = await ctx.storage.presignDownload(record.key, { filename: `export-${record.userId}.json`, contentType: 'application/json' }, seconds);
  return { ...view, url, urlExpiresAt: new Date(ctx.now().getTime() + seconds * 1000).toISOString() };
}

function exportView(r: ExportRecord): ExportView {
  return {
    id: r.id,
    userId: r.userId,
    status: r.status,
    createdAt: r.createdAt,
    ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}),
    ...(r.bytes !== undefined ? { bytes: r.bytes } : {}),
  };
}

/** The worker: builds the document, writes it, marks the export done. A rerun writes the same key again. */
export async function runExport(ctx: DomainContext, exportId: string): Promise<void> {
  const record = await ctx.repo.exports.get(exportId);
  if (!record) throw new NotFoundError(`No export ${exportId}.`);
  if (record.status === 'done') return;
  await ctx.repo.exports.save({ ...record, status: 'running' });
  const document = await buildDocument(ctx, record.userId);
  const body = JSON.stringify(document, null, 2);
  const key = exportKeyFor(record.userId, record.id);
  await ctx.storage.putObject(key, body, 'application/json');
  const now = ctx.now();
  const bytes = Buffer.byteLength(body);
  await ctx.repo.exports.save({
    ...record,
    status: 'done',
    key,
    bytes,
    finishedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + ctx.limits.exportRetentionDays * 86_400,
  });
  await recordAudit(ctx, SYSTEM_ACTOR, AUDIT_ACTIONS.exportCompleted, { type: 'export', id: record.id }, { userId: record.userId, bytes });
}

export async function buildDocument(ctx: DomainContext, userId: string): Promise<ExportDocument> {
  const [user, memberships, former, devices, blocks, reports] = await Promise.all([
    ctx.repo.users.get(userId),
    ctx.repo.memberships.listByUser(userId),
    ctx.repo.memberships.listFormer(userId),
    ctx.repo.devices.list(userId),
    ctx.repo.moderation.blocks(userId),
    ctx.repo.reports.listByReporter(userId),
  ]);
  const chatIds = [...new Set([...memberships.map((m) => m.chatId), ...former])];
  const chats = new Map((await ctx.repo.chats.getMany(chatIds)).map((c) => [c.id, c]));
  const document: ExportDocument = {
    format: 'chat-export/1',
    exportedAt: ctx.now().toISOString(),
    user: user
      ? { id: user.id, name: user.name, ...(user.email ? { email: user.email } : {}), roles: user.roles, createdAt: user.createdAt, ...(user.deleted ? { deleted: true as const } : {}) }
      : { id: userId, name: userId, roles: ['user'], createdAt: '' },
    chats: memberships
      .sort((a, b) => a.chatId.localeCompare(b.chatId))
      .map((m) => ({ id: m.chatId, type: m.chatType, title: chats.get(m.chatId)?.title, role: m.role, joinedAt: m.joinedAt, lastReadSeq: m.lastReadSeq, archived: m.archived })),
    formerChats: former.filter((id) => !memberships.some((m) => m.chatId === id)).sort().map((id) => ({ id, type: chats.get(id)?.type, title: chats.get(id)?.title })),
    messages: [],
    reactions: [],
    devices: devices
      .map((d) => ({ deviceId: d.deviceId, platform: d.platform, registeredAt: d.registeredAt }))
      .sort((a, b) => a.registeredAt.localeCompare(b.registeredAt) || a.deviceId.localeCompare(b.deviceId)),
    blocks: blocks.map((b) => ({ userId: b.blockedId, blockedAt: b.blockedAt })),
    reports: reports.map((r) => ({
      id: r.id,
      chatId: r.chatId,
      messageId: r.messageId,
      reason: r.reason,
      ...(r.details ? { details: r.details } : {}),
      status: r.status,
      createdAt: r.createdAt,
      ...(r.resolvedAt ? { resolvedAt: r.resolvedAt } : {}),
    })),
  };
  for (const chatId of chatIds.sort()) {
    let after = 0;
    for (;;) {
      const page = await ctx.repo.messages.page(chatId, { after, limit: EXPORT_PAGE });
      for (const message of page.messages) collect(document, userId, message);
      after = page.messages.at(-1)?.seq ?? after;
      if (!page.hasMore || page.messages.length === 0) break;
    }
  }
  return document;
}

function collect(document: ExportDocument, userId: string, m: MessageRecord) {
  if (m.senderId === userId) {
    document.messages.push({
      id: m.id,
      chatId: m.chatId,
      seq: m.seq,
      type: m.type,
      content: m.content,
      createdAt: m.createdAt,
      ...(m.editedAt ? { editedAt: m.editedAt } : {}),
      ...(m.deletedAt ? { deletedAt: m.deletedAt } : {}),
      ...(m.metadata ? { metadata: m.metadata } : {}),
      ...(m.replyTo ? { replyTo: { id: m.replyTo.id, seq: m.replyTo.seq } } : {}),
      reactions: m.reactions,
      attachments: (m.attachments ?? []).map((a) => ({ id: a.id, filename: a.filename, contentType: a.contentType, size: a.size, kind: a.kind })),
    });
  }
  for (const [reaction, users] of Object.entries(m.reactions)) {
    if (users.includes(userId)) document.reactions.push({ chatId: m.chatId, messageId: m.id, seq: m.seq, reaction });
  }
}
