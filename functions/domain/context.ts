/**
 * Everything a domain operation depends on, passed explicitly so the rules
 * run the same against DynamoDB (handlers) and in-memory fakes (unit tests).
 */
import type { CursorCodec } from './cursors';
import type { AttachmentStorage, AuditLog, EventPublisher, JobQueue, Notifier, OfflinePublisher, PushService, Repository } from './ports';

export interface Limits {
  /** SPEC §5: message content ≤ 5,000 characters (Unicode code points). */
  readonly maxContentLength: number;
  /** SPEC §5: group size ≤ 1,000 participants, the creator included. */
  readonly maxGroupSize: number;
  /** SPEC §5: messages per user per minute, HTTP and WebSocket together (20). */
  readonly messagesPerMinute: number;
  /**
   * SPEC §5: other writes per user per minute (60): edits, deletes, reactions,
   * pins, chat changes, participant removals, assignments, archive flags and
   * attachment slots; read markers are not counted (see `domain/limits.ts`).
   */
  readonly writesPerMinute: number;
  /** SPEC §5: chats a user may create per minute (10); answering an existing chat does not count. */
  readonly chatCreationsPerMinute: number;
  /** SPEC §5: participants a user may add to groups per minute (100), counted per person added. */
  readonly participantAddsPerMinute: number;
  /** SPEC §5: at most one `typing` per user per chat is relayed in this many seconds (2); extras are acked and dropped. */
  readonly typingIntervalSeconds: number;
  /** SPEC §5: open WebSocket connections per user (10); an 11th closes the oldest. */
  readonly maxConnectionsPerUser: number;
  /** SPEC §4: distinct reactions per message (50); a new one past that answers 409. */
  readonly maxReactionsPerMessage: number;
  /**
   * How long a `support` role in the user directory counts for assignment
   * after the user was last seen with it in a token (or provisioned with it):
   * an agent demoted in the identity provider stops getting new chats at the
   * latest this long after their last request (86,400 s).
   */
  readonly directoryRoleSeconds: number;
  /** SPEC §5: seconds after sending during which the author may edit (900). */
  readonly editWindowSeconds: number;
  /** SPEC §5: attachment size limit in bytes (10 MB). */
  readonly maxAttachmentBytes: number;
  /** Validity of presigned upload URLs, seconds. */
  readonly uploadUrlSeconds: number;
  /** Validity of presigned download URLs in message reads, seconds. */
  readonly downloadUrlSeconds: number;
  /** SPEC §10: validity of an export's presigned GET (`urlExpiresAt`), seconds (900). */
  readonly exportUrlSeconds: number;
  /** Days an export document and its record are kept (7; the bucket's `exports/` lifecycle rule matches). */
  readonly exportRetentionDays: number;
  /** SPEC §10 `MESSAGE_RETENTION_DAYS`: messages expire this many days after they were sent; undefined = kept forever. */
  readonly messageRetentionDays?: number;
  /** SPEC §10: how long a container trusts that a caller was not erased before reading the directory again (30 s). */
  readonly erasureCheckSeconds: number;
  /** SPEC §9: the operator's blocked words (`BLOCKED_WORDS`), normalised (`word-filter.ts`); none by default. */
  readonly blockedWords: readonly string[];
  /** SPEC §9: how long a container trusts what it read of a caller's platform ban on routes that do not send (30 s, `lib/ban-check.ts`). */
  readonly banCheckSeconds: number;
  /** SPEC §5/§7: how long sync keeps changes (30 days, `SYNC_WINDOW_DAYS`); an older cursor answers 410 `sync_expired`. */
  readonly syncWindowSeconds: number;
}

export interface DomainContext {
  readonly repo: Repository;
  readonly notifier: Notifier;
  /** Offline notifications (EventBridge on AWS). */
  readonly offline: OfflinePublisher;
  /** Domain events on the bus (EventBridge on AWS): reports, audit. */
  readonly bus: EventPublisher;
  /** Admin and support actions (SPEC §10): `chat.audit` on the bus and a log line. */
  readonly audit: AuditLog;
  /** Erasure and export jobs (SPEC §10). */
  readonly jobs: JobQueue;
  /** Attachment objects (S3 on AWS). */
  readonly storage: AttachmentStorage;
  readonly limits: Limits;
  /** Signs and opens list cursors (`domain/cursors.ts`, secret `CURSOR_SECRET`). */
  readonly cursors: CursorCodec;
  /** Current time; injectable for tests. */
  readonly now: () => Date;
  /** New unique, time-sortable id (ULID). */
  readonly newId: () => string;
  /** SPEC §8 `PUSH_PREVIEW`: `none` keeps content, sender name and chat title out of notifications (default `full`). */
  readonly pushPreview?: 'full' | 'none';
  /**
   * SPEC §8 SNS platform endpoints of devices that go away (deleted, moved
   * to another user, replaced by the 10-device cap, erased): only
   * `deleteEndpoint` is used outside the push worker. Absent: nothing to
   * delete (push off, or a test without one).
   */
  readonly pushEndpoints?: Pick<PushService, 'deleteEndpoint'>;
}

export const DEFAULT_LIMITS: Limits = {
  maxContentLength: 5000,
  maxGroupSize: 1000,
  messagesPerMinute: 20,
  writesPerMinute: 60,
  chatCreationsPerMinute: 10,
  participantAddsPerMinute: 100,
  typingIntervalSeconds: 2,
  maxReactionsPerMessage: 50,
  maxConnectionsPerUser: 10,
  directoryRoleSeconds: 24 * 60 * 60,
  editWindowSeconds: 15 * 60,
  maxAttachmentBytes: 10 * 1024 * 1024,
  uploadUrlSeconds: 15 * 60,
  downloadUrlSeconds: 15 * 60,
  exportUrlSeconds: 15 * 60,
  exportRetentionDays: 7,
  erasureCheckSeconds: 30,
  blockedWords: [],
  banCheckSeconds: 30,
  syncWindowSeconds: 30 * 86_400,
};
