/**
 * In-memory fakes of the SPEC §9 stores (blocks and bans, group bans,
 * reports), with the DynamoDB stores' semantics (`functions/data/moderation.ts`,
 * `chat-bans.ts`, `reports.ts`); the port contract suite runs both.
 */
import type { ChatBanStore, ModerationStore, ReportStore } from '../../functions/domain/ports';
import type { BlockRecord, ChatBanRecord, ModerationState, ReportRecord } from '../../functions/domain/types';
import { PREFIX, reportedMessageKey, userPk } from '../../functions/data/keys';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const clone = <T>(v: T): T => structuredClone(v);

export class MemoryModeration implements ModerationStore {
  readonly blockMap = new Map<string, BlockRecord>(); // `${blocker}|${blocked}`
  readonly banMap = new Map<string, NonNullable<ModerationState['ban']>>();

  async state(userId: string): Promise<ModerationState> {
    await tick();
    const all = [...this.blockMap.values()];
    const state: ModerationState = {
      userId,
      blockedBy: all.filter((b) => b.blockedId === userId).map((b) => b.blockerId).sort(),
      blocking: all.filter((b) => b.blockerId === userId).map((b) => b.blockedId).sort(),
    };
    const ban = this.banMap.get(userId);
    if (ban) state.ban = clone(ban);
    return state;
  }
  async block(blockerId: string, blockedId: string, at: string) {
    await tick();
    const key = `${blockerId}|${blockedId}`;
    if (this.blockMap.has(key)) return false;
    this.blockMap.set(key, { blockerId, blockedId, blockedAt: at });
    return true;
  }
  async unblock(blockerId: string, blockedId: string) {
    await tick();
    return this.blockMap.delete(`${blockerId}|${blockedId}`);
  }
  async blocks(blockerId: string) {
    await tick();
    return [...this.blockMap.values()]
      .filter((b) => b.blockerId === blockerId)
      .sort((a, b) => a.blockedAt.localeCompare(b.blockedAt) || a.blockedId.localeCompare(b.blockedId))
      .map(clone);
  }
  async setBan(userId: string, ban: ModerationState['ban']) {
    await tick();
    if (ban) this.banMap.set(userId, clone(ban));
    else this.banMap.delete(userId);
  }
}

export class MemoryChatBans implements ChatBanStore {
  readonly map = new Map<string, ChatBanRecord>(); // `${chatId}|${userId}`
  async put(ban: ChatBanRecord) {
    await tick();
    this.map.set(`${ban.chatId}|${ban.userId}`, clone(ban));
  }
  async getMany(chatId: string, userIds: readonly string[]) {
    await tick();
    return userIds.map((u) => this.map.get(`${chatId}|${u}`)).filter((b) => b !== undefined).map(clone);
  }
  async list(chatId: string) {
    await tick();
    return [...this.map.values()]
      .filter((b) => b.chatId === chatId)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.userId.localeCompare(b.userId))
      .map(clone);
  }
  async remove(chatId: string, userId: string) {
    await tick();
    return this.map.delete(`${chatId}|${userId}`);
  }
}

const RANK = { open: 0, resolved: 1, dismissed: 2 } as const;
const queueOrder = (a: ReportRecord, b: ReportRecord) => RANK[a.status] - RANK[b.status] || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);

/** The author of a report's message, as the DynamoDB store reads it (`functions/data/reports.ts` `authorOf`). */
function authorOf(report: Pick<ReportRecord, 'id' | 'message'>): string {
  const senderId = report.message?.senderId;
  if (typeof senderId !== 'string' || senderId === '') throw new Error(`Report ${report.id} has no message.senderId.`);
  return senderId;
}

export class MemoryReports implements ReportStore {
  readonly map = new Map<string, ReportRecord>();
  /** The uniqueness items by their DynamoDB key (`USER#<author>|REPORTED#<chat>#<message>#<reporter>`) → report id. */
  readonly unique = new Map<string, string>();
  private uniqueKey(report: Pick<ReportRecord, 'id' | 'chatId' | 'messageId' | 'reporterId' | 'message'>) {
    const key = reportedMessageKey(authorOf(report), report.chatId, report.messageId, report.reporterId);
    return `${key.PK}|${key.SK}`;
  }
  async create(report: ReportRecord): Promise<{ created: true } | { created: false; reportId: string }> {
    await tick();
    const key = this.uniqueKey(report);
    const existing = this.unique.get(key);
    if (existing) return { created: false, reportId: existing };
    this.unique.set(key, report.id);
    this.map.set(report.id, clone(report));
    return { created: true };
  }
  async get(reportId: string) {
    await tick();
    return clone(this.map.get(reportId));
  }
  async page(filter: { status?: ReportRecord['status']; limit: number; start?: Record<string, unknown> }) {
    await tick();
    const all = [...this.map.values()].filter((r) => !filter.status || r.status === filter.status).sort(queueOrder);
    const from = typeof filter.start?.after === 'string' ? all.findIndex((r) => r.id === filter.start!.after) + 1 : 0;
    const reports = all.slice(from, from + filter.limit);
    // As DynamoDB's Limit: every full page has a next, so the page after it may be empty.
    return { reports: reports.map(clone), next: reports.length === filter.limit ? { after: reports.at(-1)!.id } : undefined };
  }
  async resolve(reportId: string, change: Required<Pick<ReportRecord, 'status' | 'resolvedAt' | 'resolvedBy' | 'action'>>) {
    await tick();
    const current = this.map.get(reportId);
    if (!current || current.status !== 'open') return undefined;
    Object.assign(current, change);
    return clone(current);
  }
  async listByReporter(reporterId: string) {
    await tick();
    return [...this.map.values()]
      .filter((r) => r.reporterId === reporterId)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
      .map((r) => clone(r)!);
  }
  async remove(report: Pick<ReportRecord, 'id' | 'chatId' | 'messageId' | 'reporterId' | 'message'>) {
    await tick();
    this.map.delete(report.id);
    // As the DynamoDB transaction: the uniqueness item goes unconditionally.
    this.unique.delete(this.uniqueKey(report));
  }
  async pageByAuthor(authorId: string, { limit, after }: { limit: number; after?: string }) {
    await tick();
    const pk = userPk(authorId);
    // The sort keys in DynamoDB's (byte) order; ids are ASCII, so code-unit order is the same.
    const sorted = [...this.unique]
      .map(([key, reportId]) => ({ pk: key.slice(0, key.indexOf('|')), sk: key.slice(key.indexOf('|') + 1), reportId }))
      .filter((u) => u.pk === pk && u.sk.startsWith(PREFIX.reported) && (after === undefined || u.sk > after))
      .sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
    const taken = sorted.slice(0, limit);
    const reports = taken.map((u) => this.map.get(u.reportId)).filter((r) => r !== undefined).map((r) => clone(r));
    // As DynamoDB's Limit: a full page has a next, so the page after it may be empty.
    return { reports, ...(taken.length === limit && taken.length > 0 ? { next: taken.at(-1)!.sk } : {}) };
  }
  async replaceSnapshot(reportId: string, message: Record<string, unknown>) {
    await tick();
    const current = this.map.get(reportId);
    if (!current) return false;
    current.message = clone(message);
    return true;
  }
}
