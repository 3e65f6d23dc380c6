/**
 * The audit trail (SPEC §10): every admin and support action is recorded as
 * `{actorId, action, target, at}` (plus `actorRoles` and id-only `details`),
 * published to the stack's bus as `DetailType: "chat.audit"` and written as
 * one structured log line (`functions/lib/audit.ts`).
 *
 * What counts as an admin or support action: anything a caller may do only
 * because of a platform role (`admin`, `support`), or that acts on another
 * user's data on behalf of the operator (erasures, exports). A group owner
 * managing their own group is not audited: that is a user action.
 *
 * Call {@link recordAudit} after the change is stored, with the ids of what
 * changed; it never throws, so it cannot fail an action that already happened.
 */
import type { DomainContext } from './context';
import type { AuditEntry, AuditTarget } from './ports';
import type { ChatRecord, MembershipRecord, Principal } from './types';

/** EventBridge `Source` and `DetailType` of audit events (SPEC §10). */
export const AUDIT_SOURCE = 'chat';
export const AUDIT_DETAIL_TYPE = 'chat.audit';

/**
 * The actions recorded, by module. Others (moderation, erasure, export)
 * add theirs here so the list stays the one place that documents them
 * (docs/API.md mirrors it).
 */
export const AUDIT_ACTIONS = {
  /** `PUT /v1/users/{id}`: an admin provisioned or updated a directory entry (details: roles). */
  userProvisioned: 'user.provisioned',
  /** `PUT /v1/chats/{id}/assignee`: assignment, claim or reassignment (details: assigneeId, previousAssigneeId). */
  chatAssigned: 'chat.assigned',
  /** `PATCH /v1/chats/{id}` `status` of a support chat (details: from, to). */
  chatStatusChanged: 'chat.status_changed',
  /** `PATCH /v1/chats/{id}` title/metadata by support or an admin who does not manage the group (details: fields). */
  chatUpdated: 'chat.updated',
  /** `type: "system"` message (admin; details: seq). */
  systemMessageSent: 'message.system_sent',
  /** An admin deleted another user's message (details: senderId, seq). */
  messageDeleted: 'message.deleted',
  /** An admin added participants to a group they do not manage (details: count). */
  participantsAdded: 'participants.added',
  /** An admin removed a participant from a group they do not manage (details: userId). */
  participantRemoved: 'participant.removed',
  /** `DELETE /v1/users/{id}` or `DELETE /v1/me` (target: the erasure; details: userId). */
  erasureRequested: 'erasure.requested',
  /** The erasure worker finished (actor `system`; details: userId, messagesErased, chatsLeft). */
  erasureCompleted: 'erasure.completed',
  /** `POST /v1/users/{id}/exports` or `POST /v1/me/exports` (target: the export; details: userId). */
  exportRequested: 'export.requested',
  /** The export worker wrote the document (actor `system`; details: userId, bytes). */
  exportCompleted: 'export.completed',
  /** SPEC §9 `PUT /v1/users/{id} {banned: true}` (details: reason given or not). */
  userBanned: 'user.banned',
  /** SPEC §9 `PUT /v1/users/{id} {banned: false}`. */
  userUnbanned: 'user.unbanned',
  /** SPEC §9 `POST /v1/chats/{id}/bans` (target: the user, with chatId; details: expiresAt). */
  chatBanned: 'chat.banned',
  /** SPEC §9 `DELETE /v1/chats/{id}/bans/{userId}`. */
  chatUnbanned: 'chat.unbanned',
  /** SPEC §9 `PATCH /v1/chats/{id} {frozen: true}`. */
  chatFrozen: 'chat.frozen',
  /** SPEC §9 `PATCH /v1/chats/{id} {frozen: false}`. */
  chatUnfrozen: 'chat.unfrozen',
  /** SPEC §9 `PATCH /v1/moderation/reports/{id}` (details: status, action). */
  reportClosed: 'report.closed',
} as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[keyof typeof AUDIT_ACTIONS] | (string & {});

/** The actor of background work (erasure and export workers). */
export const SYSTEM_ACTOR = { userId: 'system', roles: ['system'] } as const;

/**
 * Records one admin or support action. `actor` is the caller (its platform
 * roles are kept), or {@link SYSTEM_ACTOR} for a worker. Answers the entry
 * (tests compare it); never throws.
 */
export async function recordAudit(
  ctx: DomainContext,
  actor: Pick<Principal, 'userId'> & { roles: readonly string[] },
  action: AuditAction,
  target: AuditTarget,
  details?: AuditEntry['details'],
): Promise<AuditEntry> {
  const entry: AuditEntry = {
    actorId: actor.userId,
    actorRoles: actor.roles.filter((r) => r !== 'user'),
    action,
    target,
    at: ctx.now().toISOString(),
    ...(details ? { details } : {}),
  };
  await ctx.audit.record(entry).catch(() => undefined);
  return entry;
}

/**
 * Whether the caller manages this group through their own membership
 * (owner or group admin): then what they do is a user action, not audited.
 */
export function managesGroup(chat: Pick<ChatRecord, 'type'>, membership: Pick<MembershipRecord, 'role'> | undefined): boolean {
  return chat.type === 'group' && (membership?.role === 'owner' || membership?.role === 'admin');
}
