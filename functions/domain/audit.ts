/**
 * SPEC §10 audit: every admin and support action is published as
 * `chat.audit {actorId, action, target, at}`. The `chat.audit` module is
 * built separately (helper `govern`); until it is connected, moderation
 * actions call this one function, so connecting it is a one-line change here.
 *
 * The actions recorded from SPEC §9: `user.banned`, `user.unbanned`,
 * `chat.banned`, `chat.unbanned`, `chat.frozen`, `chat.unfrozen`,
 * `report.resolved`, `report.dismissed`.
 */
import type { DomainContext } from './context';

export interface AuditEntry {
  actorId: string;
  action: string;
  /** What was acted on, e.g. `{type: "user", id}` or `{type: "report", id}`. */
  target: { type: string; id: string; chatId?: string };
}

/** Records a moderation action (never throws: the action is already done). */
export async function auditModeration(ctx: DomainContext, entry: AuditEntry): Promise<void> {
  // CONNECT-AUDIT: replace with the `chat.audit` module's publisher once it is on main.
  await ctx.bus.publish([{ detailType: 'chat.audit', detail: { ...entry, at: ctx.now().toISOString() } }]).catch(() => undefined);
}
