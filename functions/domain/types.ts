/**
 * Domain records: what the data layer stores and the domain reasons about.
 * API views (SPEC §3 `Chat`, `Message`) are built from them in `views.ts`.
 * Times are ISO-8601 UTC strings; `seq` numbers are per chat, from 1.
 */
import type { PlatformRole } from '../routes';

export type { PlatformRole };
export type ChatType = 'direct' | 'group' | 'support';
export type ParticipantRole = 'owner' | 'admin' | 'member' | 'agent';

/** The authenticated caller, from a verified token (SPEC §2). */
export interface Principal {
  readonly userId: string;
  readonly name: string;
  /** Always contains `user`; `support`/`admin` from `cognito:groups` or a `roles` claim. */
  readonly roles: readonly PlatformRole[];
  readonly email?: string;
  /**
   * Whether `name` came from the token's `name` claim. Otherwise (Cognito access tokens carry none) it is a
   * fallback (`cognito:username`, often the `sub`), and the directory's name wins (`recordCaller`, issue 19).
   */
  readonly nameFromToken?: boolean;
  /** The token's `exp` (epoch seconds), when it has one: a WebSocket connection lives no longer (SPEC §6). */
  readonly tokenExpiresAt?: number;
}

export interface UserRecord {
  id: string;
  name: string;
  roles: PlatformRole[];
  email?: string;
  createdAt: string;
  updatedAt: string;
  /**
   * Epoch seconds until which a `support` role counts for assignment (the
   * user was last seen with it, or provisioned, `directoryRoleSeconds`
   * before). Past it the directory no longer offers the user as an agent.
   */
  supportUntil?: number;
  /** SPEC §10: the user was erased; the entry is `{id, name: "Deleted user", deleted: true}`. */
  deleted?: true;
}

export interface MessagePreview {
  id: string;
  seq: number;
  senderId: string;
  type: 'text' | 'system';
  /** First 100 characters of the content ("" once deleted). */
  content: string;
  createdAt: string;
  /** SPEC §10 retention: when the message expires (epoch seconds, its DynamoDB TTL); never in an answer. */
  expiresAt?: number;
  /** The message was deleted: clients show "Message deleted", not an empty or attachment-only preview. */
  deleted?: true;
}

export interface ChatRecord {
  id: string;
  type: ChatType;
  title?: string;
  context?: { type: string; id: string };
  status?: 'open' | 'waiting' | 'resolved' | 'closed';
  assigneeId?: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  /** Highest stored seq (0 for an empty chat). */
  lastSeq: number;
  lastMessage?: MessagePreview;
  /** `createdAt`, then the time of the latest message: the order of `GET /v1/chats`. */
  lastActivityAt: string;
  metadata?: Record<string, unknown>;
  /** SPEC §9: sends, edits and reactions answer 403 `chat_frozen` (platform admins excepted). */
  frozen?: boolean;
  /** Number of participants; the group size limit is a condition on it. */
  participantCount: number;
  /**
   * The sync head (SPEC §7, `domain/change-log.ts`): when an event last changed
   * the chat, for changes that do not move `updatedAt` (edits, reactions,
   * read markers); kept to within a few seconds, never moved back.
   */
  changedAt?: string;
  /**
   * Participant ids, kept only for direct and support chats (at most 3), so
   * presence can find a user's contacts without a query per chat.
   */
  participantIds?: string[];
  /** Support chats: the user who asked for help. */
  requesterId?: string;
  /** Support chats: when someone other than the requester first answered. */
  firstResponseAt?: string;
  /** Seconds from `createdAt` to `firstResponseAt` (projected on GSI1 for `GET /v1/support/stats`). */
  firstResponseSeconds?: number;
}

export type SupportStatus = NonNullable<ChatRecord['status']>;

/** A participant's membership: role plus the per-user state of the chat (read marker, archive flag). */
export interface MembershipRecord {
  chatId: string;
  userId: string;
  chatType: ChatType;
  role: ParticipantRole;
  joinedAt: string;
  /** Messages with seq ≤ this are read by this user (SPEC §3). */
  lastReadSeq: number;
  lastReadAt?: string;
  archived: boolean;
  /** SPEC §8: which messages notify this user when offline; absent = `all`. */
  notificationLevel?: NotificationLevel;
  /**
   * SPEC §8 coalescing: the seq and time of the last offline notification
   * about this chat. No other follows until `lastReadSeq` reaches
   * `notifiedSeq` or the user connects again (presence `lastSeenAt` after
   * `notifiedAt`); a mention always notifies.
   */
  notifiedSeq?: number;
  notifiedAt?: string;
  /** Seqs of messages that mention this user (a number set, pruned as the marker passes them): `unreadMentions`. */
  mentionSeqs?: number[];
}

/** SPEC §8 per-user, per-chat notification level. */
export type NotificationLevel = 'all' | 'mentions' | 'none';

/** SPEC §8 push platforms: APNs (production and sandbox) and FCM. */
export type PushPlatform = 'apns' | 'apns_sandbox' | 'fcm';

/** A registered push device: `PUT /v1/me/devices/{deviceId}`. */
export interface DeviceRecord {
  userId: string;
  deviceId: string;
  platform: PushPlatform;
  token: string;
  /** When the device was (last) registered: the 11th replaces the least recent. */
  registeredAt: string;
  /** The SNS platform endpoint created for the token, once created (only with push configured). */
  endpointArn?: string;
}

/** The participant fields GSI1 projects (enough for fan-out and participant lists). */
export interface ParticipantRecord {
  userId: string;
  role: ParticipantRole;
  joinedAt: string;
}

export type AttachmentKind = 'image' | 'audio' | 'video' | 'file';

/** An attachment as stored on its message. */
export interface StoredAttachment {
  id: string;
  filename: string;
  contentType: string;
  /** Bytes. */
  size: number;
  kind: AttachmentKind;
  /** S3 object key (`chats/<chatId>/<attachmentId>`). */
  key: string;
}

/** An upload slot: created by `POST .../attachments`, consumed by the message that uses it. */
export interface AttachmentRecord {
  id: string;
  chatId: string;
  ownerId: string;
  filename: string;
  contentType: string;
  /** Declared size in bytes; the uploaded object must match it. */
  size: number;
  status: 'pending' | 'attached';
  messageId?: string;
  createdAt: string;
  /** Epoch seconds when a pending record expires (DynamoDB TTL); removed once attached. */
  expiresAt?: number;
}

export interface MessageRecord {
  id: string;
  chatId: string;
  seq: number;
  senderId: string;
  type: 'text' | 'system';
  content: string;
  /**
   * The message this one replies to. Only the reference is stored; the
   * preview is resolved when read (SPEC §6: it follows the original).
   * Replies stored before that carry a `preview`, which is never shown.
   */
  replyTo?: { id: string; seq: number; senderId: string; preview?: string };
  attachments?: StoredAttachment[];
  reactions: Record<string, string[]>;
  clientMessageId?: string;
  metadata?: Record<string, unknown>;
  /** SPEC §3: participants the message mentions (≤ 20). */
  mentions?: string[];
  /** SPEC §4 pins. */
  pinnedAt?: string;
  pinnedBy?: string;
  createdAt: string;
  editedAt?: string;
  deletedAt?: string;
  /** SPEC §10 retention (`MESSAGE_RETENTION_DAYS`): epoch seconds when DynamoDB TTL removes it; absent = kept forever. */
  expiresAt?: number;
}

/** One open WebSocket connection (API Gateway `connectionId`). */
export interface ConnectionRecord {
  connectionId: string;
  userId: string;
  name: string;
  roles: PlatformRole[];
  connectedAt: string;
  /** Epoch seconds after which the record is stale (DynamoDB TTL deletes it). */
  expiresAt: number;
}

/** A user's live connections and last-seen time. */
export interface PresenceRecord {
  userId: string;
  connections: { connectionId: string; expiresAt: number }[];
  lastSeenAt?: string;
}

/**
 * SPEC §9: what a send, a connect or a request needs to know about a user's
 * safety state, kept in one item per user so one GetItem answers it all:
 * who blocks them (`blockedBy`: the "sender's side" of a block, so a send
 * learns every blocker without reading one item per recipient), whom they
 * block (`blocking`), and a platform ban.
 */
export interface ModerationState {
  userId: string;
  /** Users who block this user (their views hide this user's messages). */
  blockedBy: string[];
  /** Users this user blocks. */
  blocking: string[];
  /** Platform ban (SPEC §9): set while banned. */
  ban?: { reason?: string; at: string; by: string };
}

/** One block, as `GET /v1/me/blocks` lists it. */
export interface BlockRecord {
  blockerId: string;
  blockedId: string;
  blockedAt: string;
}

/** SPEC §9 group ban: the user is kept out of the chat until removed or `expiresAt`. */
export interface ChatBanRecord {
  chatId: string;
  userId: string;
  reason?: string;
  bannedBy: string;
  createdAt: string;
  expiresAt?: string;
}

export type ReportReason = 'spam' | 'harassment' | 'inappropriate' | 'other';
export type ReportStatus = 'open' | 'resolved' | 'dismissed';
export type ReportAction = 'none' | 'delete_message' | 'ban_user';

/** SPEC §9: a report of a message, with the message as it was when reported. */
export interface ReportRecord {
  id: string;
  chatId: string;
  messageId: string;
  reporterId: string;
  reason: ReportReason;
  details?: string;
  status: ReportStatus;
  createdAt: string;
  /** The message as reported (its API view, content included); after its author's erasure, its deleted form (`domain/reports.ts` `erasedReportSnapshot`). */
  message: Record<string, unknown>;
  resolvedAt?: string;
  resolvedBy?: string;
  action?: ReportAction;
}
