/**
 * Everything a domain operation depends on, passed explicitly so the rules
 * run the same against DynamoDB (handlers) and in-memory fakes (unit tests).
 */
import type { AttachmentStorage, Notifier, OfflinePublisher, Repository } from './ports';

export interface Limits {
  /** SPEC §5: message content ≤ 5,000 characters (Unicode code points). */
  readonly maxContentLength: number;
  /** SPEC §5: group size ≤ 1,000 participants, the creator included. */
  readonly maxGroupSize: number;
  /** SPEC §5: messages per user per minute, HTTP and WebSocket together (20). */
  readonly messagesPerMinute: number;
  /** SPEC §5: seconds after sending during which the author may edit (900). */
  readonly editWindowSeconds: number;
  /** SPEC §5: attachment size limit in bytes (10 MB). */
  readonly maxAttachmentBytes: number;
  /** Validity of presigned upload URLs, seconds. */
  readonly uploadUrlSeconds: number;
  /** Validity of presigned download URLs in message reads, seconds. */
  readonly downloadUrlSeconds: number;
}

export interface DomainContext {
  readonly repo: Repository;
  readonly notifier: Notifier;
  /** Offline notifications (EventBridge on AWS). */
  readonly offline: OfflinePublisher;
  /** Attachment objects (S3 on AWS). */
  readonly storage: AttachmentStorage;
  readonly limits: Limits;
  /** Current time; injectable for tests. */
  readonly now: () => Date;
  /** New unique, time-sortable id (ULID). */
  readonly newId: () => string;
}

export const DEFAULT_LIMITS: Limits = {
  maxContentLength: 5000,
  maxGroupSize: 1000,
  messagesPerMinute: 20,
  editWindowSeconds: 15 * 60,
  maxAttachmentBytes: 10 * 1024 * 1024,
  uploadUrlSeconds: 15 * 60,
  downloadUrlSeconds: 15 * 60,
};
