/**
 * Erasure, the right to be forgotten (SPEC §10; GDPR art. 17).
 *
 * `DELETE /v1/users/{id}` (admin) and `DELETE /v1/me` call
 * {@link requestErasure}: one erasure per user (a repeat answers the same
 * one), the directory entry becomes `{id, name: "Deleted user", deleted:
 * true}` at once, so every route and `$connect` refuse the user's tokens
 * from then on ({@link checkNotErased}), and a job goes to the governance
 * queue. The worker ({@link runErasure}) then erases, in batches, one named
 * step per entity ({@link ERASURE_STEPS}), saving a checkpoint in the
 * erasure item after every batch: a worker that crashes (or runs out of
 * time and re-enqueues itself) resumes where the checkpoint says, and redoing
 * the batch in flight is harmless (every write is idempotent; events are
 * sent again, which clients apply idempotently, SPEC §6).
 *
 * Cost (DynamoDB requests; see README "Costs"): per chat of the user, one
 * Query per page of up to {@link ERASURE_BATCH} messages (the whole chat is
 * read once: its messages carry reactions by the user too), one GetItem of
 * the chat, one participant Query per page with events, the membership
 * delete (TransactWriteItems of 3) and the checkpoint PutItem per page; per
 * erased message one UpdateItem (the soft delete), plus one for the chat
 * preview when it was the chat's last message; per reaction removed one
 * UpdateItem; per report of one of the user's messages one UpdateItem (its
 * snapshot emptied), with one Query and one BatchGetItem per 100 of them.
 */
import { AUDIT_ACTIONS, recordAudit, SYSTEM_ACTOR } from './audit';
import { chatWithParticipants, isAdmin, sharedView } from './chats';
import type { DomainContext } from './context';
import { forgetDevice } from './devices';
import { forgetMentions } from './messages';
import { erasedReportSnapshot, snapshotIs } from './reports';
import { NotFoundError } from './errors';
import type { ErasureRecord, ServerEvent } from './ports';
import type { ChatRecord, MessageRecord, Principal, ReportRecord } from './types';
import { previewOf } from './views';

/** Messages read (and erased) per batch: one Query page, one checkpoint. */
export const ERASURE_BATCH = 100;

/**
 * The steps, in order. A step named in {@link UNCONNECTED_STEPS} has its
 * entity in a module that is not part of this build yet: it records that it
 * had nothing to erase (README "Data governance" lists them).
 */
export const ERASURE_STEPS = ['profile', 'connections', 'chats', 'former', 'devices', 'blocks', 'reports', 'reported', 'done'] as const;
export type ErasureStep = (typeof ERASURE_STEPS)[number];

/** Steps waiting for their module: none left (SPEC §8 devices, §9 blocks and reports are all connected). */
export const UNCONNECTED_STEPS: Partial<Record<ErasureStep, string>> = {};

export interface ErasureView {
  id: string;
  userId: string;
  status: ErasureRecord['status'];
  messagesErased: number;
  chatsLeft: number;
  startedAt: string;
  finishedAt?: string;
}

export function erasureView(e: ErasureRecord): ErasureView {
  return {
    id: e.id,
    userId: e.userId,
    status: e.status,
    messagesErased: e.messagesErased,
    chatsLeft: e.chatsLeft,
    // Before the worker starts, the request time (SPEC lists `startedAt` on every erasure).
    startedAt: e.startedAt ?? e.requestedAt,
    ...(e.finishedAt ? { finishedAt: e.finishedAt } : {}),
  };
}

/**
 * `DELETE /v1/users/{userId}` (admin; 404 for a user the directory does not
 * know) and `DELETE /v1/me`. Answers the user's erasure, `created: false`
 * for a repeat (whose job is enqueued again unless done: a lost first send
 * cannot strand it; the queue's de-duplication drops a true duplicate).
 * Audited as `erasure.requested`.
 */
export async function requestErasure(ctx: DomainContext, principal: Principal, userId: string): Promise<{ erasure: ErasureView; created: boolean }> {
  if (userId !== principal.userId && !(await ctx.repo.users.get(userId))) throw new NotFoundError('User not found.');
  const now = ctx.now().toISOString();
  const result = await ctx.repo.erasures.create({
    id: ctx.newId(),
    userId,
    status: 'pending',
    requestedBy: principal.userId,
    requestedAt: now,
    messagesErased: 0,
    chatsLeft: 0,
    reactionsRemoved: 0,
    checkpoint: { step: 'profile' },
  });
  const { erasure } = result;
  if (result.created) {
    // The profile goes first: from this write on, the user's tokens open nothing (`checkNotErased`).
    await ctx.repo.users.erase(userId, now);
    await recordAudit(ctx, principal, AUDIT_ACTIONS.erasureRequested, { type: 'erasure', id: erasure.id }, { userId });
  }
  if (erasure.status !== 'done') await ctx.jobs.send({ kind: 'erasure', erasureId: erasure.id, userId, part: 0 });
  return { erasure: erasureView(erasure), created: result.created };
}

/** `GET /v1/erasures/{id}`: admins, and the erased user (while their token is valid); anyone else 404. */
export async function getErasure(ctx: DomainContext, principal: Principal, erasureId: string): Promise<ErasureView> {
  const erasure = await ctx.repo.erasures.get(erasureId);
  if (!erasure || (erasure.userId !== principal.userId && !isAdmin(principal))) throw new NotFoundError('Erasure not found.');
  return erasureView(erasure);
}


/** Stops a worker run between batches: answers true when the remaining time is too short for another. */
export type PauseCheck = () => boolean;

/**
 * Runs (or resumes) an erasure from its checkpoint until it is `done`
 * (answers 'done') or `shouldPause` asks to stop between batches (answers
 * 'paused': the caller enqueues the next part). Throws on a failure: the
 * queue delivers the job again, and it resumes from the last checkpoint.
 */
export async function runErasure(ctx: DomainContext, erasureId: string, shouldPause: PauseCheck = () => false): Promise<'done' | 'paused'> {
  const erasure = await ctx.repo.erasures.get(erasureId);
  if (!erasure) throw new NotFoundError(`No erasure ${erasureId}.`);
  if (erasure.status === 'done') return 'done';
  if (erasure.status === 'pending') {
    erasure.status = 'running';
    erasure.startedAt = ctx.now().toISOString();
    await ctx.repo.erasures.save(erasure);
  }
  const run = new ErasureRun(ctx, erasure, shouldPause);
  for (let i = ERASURE_STEPS.indexOf(erasure.checkpoint.step as ErasureStep); i < ERASURE_STEPS.length; i++) {
    const step = ERASURE_STEPS[Math.max(0, i)];
    if (erasure.checkpoint.step !== step) await run.advance(step);
    if (step === 'done') break;
    if ((await run.step(step)) === 'paused') return 'paused';
  }
  erasure.status = 'done';
  erasure.finishedAt = ctx.now().toISOString();
  await ctx.repo.erasures.save(erasure);
  await recordAudit(ctx, SYSTEM_ACTOR, AUDIT_ACTIONS.erasureCompleted, { type: 'erasure', id: erasure.id }, {
    userId: erasure.userId,
    messagesErased: erasure.messagesErased,
    chatsLeft: erasure.chatsLeft,
  });
  return 'done';
}

/** The principal erasure events and views are computed for: it sees every chat, as an admin would. */
const WORKER: Principal = { userId: SYSTEM_ACTOR.userId, name: 'system', roles: ['user', 'admin'] };

class ErasureRun {
  constructor(
    private readonly ctx: DomainContext,
    private readonly erasure: ErasureRecord,
    private readonly shouldPause: PauseCheck,
  ) {}

  private get userId() {
    return this.erasure.userId;
  }

  /** Saves counters and checkpoint together: a batch counts exactly once. */
  private save() {
    return this.ctx.repo.erasures.save(this.erasure);
  }

  async advance(step: ErasureStep) {
    this.erasure.checkpoint = { step };
    await this.save();
  }

  async step(step: Exclude<ErasureStep, 'done'>): Promise<'done' | 'paused'> {
    switch (step) {
      case 'profile':
        // Already done by the request; repeated so a request that crashed in between still ends erased.
        await this.ctx.repo.users.erase(this.userId, this.erasure.requestedAt);
        return 'done';
      case 'connections':
        return this.connections();
      case 'chats':
        return this.chats();
      case 'former':
        return this.former();
      case 'devices':
        return this.devices();
      case 'blocks':
        return this.blocks();
      case 'reports':
        return this.reports();
      case 'reported':
        return this.reported();
    }
  }

  /**
   * Every block in both directions (SPEC §9): the user's own blocks and other
   * users' blocks of them, each lifted on both moderation items and the
   * block item in one transaction; `unblock` of a block already lifted is a
   * no-op, so a resumed run repeats the step harmlessly.
   */
  private async blocks(): Promise<'done'> {
    const state = await this.ctx.repo.moderation.state(this.userId, true);
    for (const blockedId of state.blocking) await this.ctx.repo.moderation.unblock(this.userId, blockedId);
    for (const blockerId of state.blockedBy) await this.ctx.repo.moderation.unblock(blockerId, this.userId);
    return 'done';
  }

  /**
   * The reports the user filed (SPEC §9/§10), whatever their status, are
   * deleted, not anonymised: a report is the reporter's statement, and the
   * reported message (a copy of which the report holds) has its own sender.
   * The moderation actions taken on them stay in the audit log (SPEC §10
   * "Audit"), which names the report id but not its reporter. Reports
   * against the user's messages are other users' data and stay (the
   * `reported` step empties their copy of the user's message).
   */
  private async reports(): Promise<'done'> {
    for (const report of await this.ctx.repo.reports.listByReporter(this.userId)) await this.ctx.repo.reports.remove(report);
    return 'done';
  }

  /**
   * Reports by others of the user's messages (SPEC §9/§10): each stays, with
   * its reporter, reason, details, status and resolution (moderation history,
   * audit), but its `message` snapshot becomes the erased message's deleted
   * form ({@link erasedReportSnapshot}), so no copy of the user's content or
   * attachment names is left. Found by key (`ReportStore.pageByAuthor`, a
   * page of {@link ERASURE_BATCH}), never by a scan; the message's own
   * `deletedAt` comes from one BatchGetItem per chat and page (the erasure
   * start when the message is gone). A checkpoint after every page but the
   * last; a snapshot already scrubbed is not written again, so a resumed or
   * repeated run writes nothing twice.
   */
  private async reported(): Promise<'done' | 'paused'> {
    let after = this.erasure.checkpoint.afterReport;
    const startedAt = this.erasure.startedAt ?? this.erasure.requestedAt;
    for (;;) {
      const page = await this.ctx.repo.reports.pageByAuthor(this.userId, { limit: ERASURE_BATCH, after });
      const deletedAt = await this.deletionTimes(page.reports);
      for (const report of page.reports) {
        const when = deletedAt.get(`${report.chatId}|${report.messageId}`) ?? (report.message.deletedAt as string | undefined) ?? startedAt;
        const erased = erasedReportSnapshot(report.message, this.userId, when);
        if (!snapshotIs(report, erased)) await this.ctx.repo.reports.replaceSnapshot(report.id, erased);
      }
      if (!page.next) return 'done';
      after = page.next;
      this.erasure.checkpoint = { step: 'reported', afterReport: after };
      await this.save();
      if (this.shouldPause()) return 'paused';
    }
  }

  /** When each reported message was deleted, by `<chatId>|<messageId>` (messages deleted, or gone, are left out). */
  private async deletionTimes(reports: readonly ReportRecord[]): Promise<Map<string, string>> {
    const seqsByChat = new Map<string, Set<number>>();
    for (const r of reports) {
      const seq = r.message.seq;
      if (typeof seq !== 'number') continue;
      seqsByChat.set(r.chatId, (seqsByChat.get(r.chatId) ?? new Set()).add(seq));
    }
    const messages = await Promise.all([...seqsByChat].map(([chatId, seqs]) => this.ctx.repo.messages.getMany(chatId, [...seqs])));
    const times = new Map<string, string>();
    for (const m of messages.flat()) if (m.deletedAt) times.set(`${m.chatId}|${m.id}`, m.deletedAt);
    return times;
  }

  /** Closes every open connection of the user and deletes their presence (last seen time included). */
  private async connections(): Promise<'done'> {
    const presence = (await this.ctx.repo.connections.getPresence([this.userId])).get(this.userId);
    for (const { connectionId } of presence?.connections ?? []) {
      await this.ctx.notifier.close(connectionId);
      await this.ctx.repo.connections.delete(connectionId);
    }
    await this.ctx.repo.connections.deletePresence(this.userId);
    return 'done';
  }

  /** Every registered push device with its token pointer and SNS endpoint (SPEC §8 devices); idempotent. */
  private async devices(): Promise<'done'> {
    for (const device of await this.ctx.repo.devices.list(this.userId)) await forgetDevice(this.ctx, this.userId, device.deviceId);
    return 'done';
  }

  /**
   * The user's chats, one at a time in chat id order: their messages and
   * reactions, then (support chats they opened) closing, then leaving.
   * A chat leaves the membership list only when it is done, so the list
   * read again on resume is exactly what is left.
   */
  private async chats(): Promise<'done' | 'paused'> {
    const checkpoint = this.erasure.checkpoint;
    const memberships = (await this.ctx.repo.memberships.listByUser(this.userId)).sort((a, b) => a.chatId.localeCompare(b.chatId));
    if (checkpoint.chatId && checkpoint.afterSeq === LEAVING && !memberships.some((m) => m.chatId === checkpoint.chatId)) {
      // Crashed after the membership went, before its event: finish that leave.
      await this.announceLeave(checkpoint.chatId);
    }
    for (const membership of memberships) {
      const [chat] = await this.ctx.repo.chats.getMany([membership.chatId]);
      if (!chat) continue;
      if ((await this.messagesIn(chat)) === 'paused') return 'paused';
      await this.closeSupportChat(chat);
      await this.leave(chat, membership.role);
      if (this.shouldPause()) return 'paused';
    }
    return 'done';
  }

  /** Chats the user left before: only their messages and reactions remain there. */
  private async former(): Promise<'done' | 'paused'> {
    const { checkpoint } = this.erasure;
    for (const chatId of (await this.ctx.repo.memberships.listFormer(this.userId)).sort()) {
      const [chat] = await this.ctx.repo.chats.getMany([chatId]);
      if (chat && (await this.messagesIn(chat)) === 'paused') return 'paused';
      await this.ctx.repo.memberships.forgetFormer(this.userId, chatId);
      this.erasure.checkpoint = { step: checkpoint.step };
      await this.save();
      if (this.shouldPause()) return 'paused';
    }
    return 'done';
  }

  /**
   * One pass over a chat's messages from the checkpoint on, a page at a
   * time: the user's messages are soft-deleted (S3 objects first, so a
   * crash never loses their keys), their reactions on others' messages
   * removed; one `message.deleted` / `reaction.updated` batch per page.
   */
  private async messagesIn(chat: ChatRecord): Promise<'done' | 'paused'> {
    const checkpoint = this.erasure.checkpoint;
    let after = checkpoint.chatId === chat.id && checkpoint.afterSeq !== undefined && checkpoint.afterSeq !== LEAVING ? checkpoint.afterSeq : 0;
    if (checkpoint.chatId === chat.id && checkpoint.afterSeq === LEAVING) return 'done';
    for (;;) {
      const page = await this.ctx.repo.messages.page(chat.id, { after, limit: ERASURE_BATCH });
      const events: ServerEvent[] = [];
      for (const message of page.messages) {
        if (message.senderId === this.userId) await this.eraseMessage(chat, message, events);
        else await this.removeReactions(message, events);
      }
      if (events.length > 0) await this.ctx.notifier.toChat(chat, events);
      after = page.messages.at(-1)?.seq ?? after;
      this.erasure.checkpoint = { step: checkpoint.step, chatId: chat.id, afterSeq: after };
      await this.save();
      if (!page.hasMore || page.messages.length === 0) return 'done';
      if (this.shouldPause()) return 'paused';
    }
  }

  private async eraseMessage(chat: ChatRecord, message: MessageRecord, events: ServerEvent[]) {
    const startedAt = this.erasure.startedAt ?? this.erasure.requestedAt;
    if (message.deletedAt && message.deletedAt < startedAt) return; // deleted before the erasure: nothing of it left
    await this.ctx.storage.remove((message.attachments ?? []).map((a) => a.key));
    const deletedAt = message.deletedAt ?? this.ctx.now().toISOString();
    const result = message.deletedAt ? { deleted: false as const } : await this.ctx.repo.messages.softDelete({ chatId: chat.id, seq: message.seq, id: message.id }, deletedAt, Object.keys(message.reactions));
    // Deleted by this erasure, now or in a batch that crashed before its checkpoint: counted (and announced) once.
    this.erasure.messagesErased += 1;
    events.push({ type: 'message.deleted', chatId: chat.id, messageId: message.id, seq: message.seq, at: deletedAt });
    if (result.deleted && chat.lastMessage?.id === message.id) await this.ctx.repo.chats.replacePreview(chat.id, previewOf(result.message));
    // The erased user's mentions of others stop counting in their unreadMentions.
    if (result.deleted) await forgetMentions(this.ctx, message);
  }

  private async removeReactions(message: MessageRecord, events: ServerEvent[]) {
    if (message.deletedAt) return;
    let current: MessageRecord | 'stale' = message;
    for (const [reaction, users] of Object.entries(message.reactions)) {
      if (!users.includes(this.userId)) continue;
      const change = { reaction, userId: this.userId, add: false, current: { users: users.length, kinds: Object.keys(message.reactions).length }, maxKinds: this.ctx.limits.maxReactionsPerMessage };
      current = await this.ctx.repo.messages.react({ chatId: message.chatId, seq: message.seq, id: message.id }, change);
      if (current === 'stale') {
        // Changed meanwhile: read it again once; the next erasure pass (there is none) would not see it, so retry here.
        const fresh = await this.ctx.repo.messages.get(message.chatId, message.seq, true);
        if (!fresh?.reactions[reaction]?.includes(this.userId)) continue;
        current = await this.ctx.repo.messages.react({ chatId: message.chatId, seq: message.seq, id: message.id }, {
          ...change,
          current: { users: fresh.reactions[reaction].length, kinds: Object.keys(fresh.reactions).length },
        });
        if (current === 'stale') throw new Error(`Reactions of ${message.id} keep changing; the erasure retries.`);
      }
      this.erasure.reactionsRemoved += 1;
    }
    if (current !== message && current !== 'stale') events.push({ type: 'reaction.updated', chatId: message.chatId, messageId: message.id, reactions: current.reactions, at: this.ctx.now().toISOString() });
  }

  /** SPEC §10: the user's open support chats are closed (which frees nothing: they cannot open another). */
  private async closeSupportChat(chat: ChatRecord) {
    if (chat.type !== 'support' || chat.requesterId !== this.userId || chat.status === 'closed') return;
    const updated = await this.ctx.repo.chats.update(
      chat,
      { status: 'closed', updatedAt: this.ctx.now().toISOString() },
      { releaseUnique: { kind: 'support', requesterId: this.userId } },
    );
    if (!updated) throw new Error(`Support chat ${chat.id} changed meanwhile; the erasure retries.`);
    const view = await chatWithParticipants(this.ctx, updated);
    await this.ctx.notifier.toUsers((view.participants ?? []).map((p) => p.userId), { type: 'chat.updated', chat: sharedView(view) });
  }

  /** Leaves the chat as `removeParticipant` does: ownership passes on first, then the membership goes. */
  private async leave(chat: ChatRecord, role: string) {
    if (role === 'owner') await this.handOverOwnership(chat.id);
    this.erasure.checkpoint = { step: this.erasure.checkpoint.step, chatId: chat.id, afterSeq: LEAVING };
    await this.save();
    await this.ctx.repo.memberships.remove(chat.id, this.userId);
    // The leave must not bring the chat back in the `former` step.
    await this.ctx.repo.memberships.forgetFormer(this.userId, chat.id);
    await this.announceLeave(chat.id);
  }

  private async announceLeave(chatId: string) {
    const audience = (await this.ctx.repo.memberships.listParticipants(chatId)).map((p) => p.userId);
    await this.ctx.notifier.toUsers(audience, { type: 'participant.removed', chatId, userId: this.userId });
    this.erasure.chatsLeft += 1;
    this.erasure.checkpoint = { step: this.erasure.checkpoint.step };
    await this.save();
  }

  /** As on leave (SPEC §4): the longest-standing admin, else member, becomes owner, unless another owner exists already (a resumed run). */
  private async handOverOwnership(chatId: string) {
    const rest = (await this.ctx.repo.memberships.listParticipants(chatId)).filter((p) => p.userId !== this.userId);
    if (rest.some((p) => p.role === 'owner')) return;
    const rank = (role: string) => (role === 'admin' ? 0 : 1);
    const heir = rest.sort((a, b) => rank(a.role) - rank(b.role) || a.joinedAt.localeCompare(b.joinedAt) || a.userId.localeCompare(b.userId))[0];
    if (heir) await this.ctx.repo.memberships.update(chatId, heir.userId, { role: 'owner' });
  }
}

/** `afterSeq` of a chat whose messages are done and whose leave is under way. */
const LEAVING = -1;

export { WORKER as ERASURE_WORKER };
