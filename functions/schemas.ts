/**
 * Request and resource schemas (zod), shared by the route table, the handlers
 * and the tests. Shapes follow SPEC §3 (resources), §4 (routes) and §6
 * (WebSocket frames).
 *
 * Request schemas check structure only (types, bounds the SPEC fixes). Limits
 * an operator can configure (content length, group size) are enforced by the
 * domain with values from `config.ts`. Unknown body fields are stripped, so a
 * client can never set server-owned fields such as `id`, `seq` or `senderId`.
 */
import * as z from 'zod';

/**
 * User ids come from the token's `sub` or from paths. `#` is the key
 * delimiter of the table, so ids are restricted to a safe alphabet
 * (covers UUIDs, ULIDs, `auth0|123`, e-mail-like ids).
 */
export const UserId = z.string().regex(/^[A-Za-z0-9._:@|+=-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ : @ | + = -');
export const ChatId = z.string().regex(/^[0-9A-Za-z]{1,64}$/, 'must be an id returned by the API');
export const Role = z.enum(['user', 'support', 'admin']);
export const ParticipantRole = z.enum(['owner', 'admin', 'member', 'agent']);
export const ChatType = z.enum(['direct', 'group', 'support']);
export const ChatStatus = z.enum(['open', 'waiting', 'resolved', 'closed']);
/** SPEC §8: which offline messages notify: every one, only mentions, none. */
export const NotificationLevel = z.enum(['all', 'mentions', 'none']);
/** SPEC §8 push platforms. */
export const PushPlatform = z.enum(['apns', 'apns_sandbox', 'fcm']);
/** Client metadata limits: small, shallow, and storable by DynamoDB as is. */
export const METADATA_MAX_BYTES = 8 * 1024;
const METADATA_MAX_DEPTH = 10;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor']);

/**
 * Why a value cannot be stored as metadata, or undefined when it can.
 * DynamoDB numbers hold 38 digits between 1e-130 and 1e126 and maps cannot
 * have empty keys; JavaScript cannot represent integers above 2^53 exactly.
 * Prototype-related keys are refused outright.
 */
export function metadataProblem(value: unknown, depth = 0): string | undefined {
  if (value !== null && typeof value === 'object' && depth >= METADATA_MAX_DEPTH) return `more than ${METADATA_MAX_DEPTH} levels of nesting`;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'a number that is not finite';
    if (Number.isInteger(value) ? !Number.isSafeInteger(value) : Math.abs(value) < 1e-130 || Math.abs(value) > 1e125) {
      return 'a number outside the range DynamoDB and JavaScript both hold exactly';
    }
    return undefined;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = metadataProblem(item, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  if (typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === '' || FORBIDDEN_KEYS.has(key)) return `the key "${key}"`;
      const problem = metadataProblem(item, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  return `a value of type ${typeof value}`;
}

export const Metadata = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const problem = metadataProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `metadata cannot contain ${problem}` });
  else if (Buffer.byteLength(JSON.stringify(value)) > METADATA_MAX_BYTES) ctx.addIssue({ code: 'custom', message: `metadata is limited to ${METADATA_MAX_BYTES} bytes of JSON` });
});
export const IsoTime = z.string().describe('ISO-8601 UTC timestamp');
/** SPEC §3: `seq` starts at 1. Query strings arrive as text, hence `coerce`. */
const SeqQuery = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

// ---------------------------------------------------------------- resources

export const User = z.object({
  id: UserId,
  name: z.string(),
  roles: z.array(Role),
  email: z.string().optional(),
  online: z.boolean().optional(),
  lastSeenAt: IsoTime.nullable().optional(),
  /** SPEC §10: the user was erased (`name` is "Deleted user"). */
  deleted: z.literal(true).optional(),
  banned: z.boolean().optional().describe('SPEC §9: admins only; `true` while the user is banned platform-wide'),
  bannedReason: z.string().optional().describe('admins only'),
});

/**
 * `GET /v1/users/{id}`: `roles`, `online` and `lastSeenAt` are absent for
 * callers who share no chat with the user (and are not admins): SPEC §4.
 */
export const PublicUser = User.extend({ roles: z.array(Role).optional() });

export const MessagePreview = z.object({
  id: z.string(),
  seq: z.number().int(),
  senderId: z.string(),
  type: z.enum(['text', 'system']),
  content: z.string().describe('first 100 characters; "" when `hidden`'),
  createdAt: IsoTime,
  hidden: z.literal(true).optional().describe('SPEC §9: from a user the caller blocked'),
  deleted: z.literal(true).optional().describe('the message was deleted (`content` is "")'),
});

export const Participant = z.object({
  userId: UserId,
  name: z.string(),
  role: ParticipantRole,
  joinedAt: IsoTime,
  online: z.boolean(),
});

export const Context = z.object({
  type: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/),
  id: z.string().regex(/^[A-Za-z0-9._:@|+=-]{1,128}$/),
});

export const Chat = z.object({
  id: ChatId,
  type: ChatType,
  title: z.string().optional(),
  context: Context.optional(),
  status: ChatStatus.optional(),
  assigneeId: z.string().nullable().optional(),
  createdBy: UserId,
  createdAt: IsoTime,
  updatedAt: IsoTime,
  lastSeq: z.number().int(),
  lastMessage: MessagePreview.optional(),
  participants: z.array(Participant).optional().describe('present on single-chat reads, omitted in lists'),
  metadata: Metadata.optional(),
  frozen: z.boolean().describe('SPEC §9: while true, sends, edits and reactions answer 403 `chat_frozen` (admins excepted)'),
  unreadCount: z.number().int(),
  unreadMentions: z.number().int().describe('unread messages that mention the caller (SPEC §3)'),
  lastReadSeq: z.number().int(),
  archived: z.boolean(),
  notificationLevel: NotificationLevel.describe('the caller\'s notification level for this chat (SPEC §8; default `all`)'),
});

export const Message = z.object({
  id: z.string(),
  chatId: ChatId,
  seq: z.number().int().positive(),
  senderId: UserId,
  type: z.enum(['text', 'system']),
  content: z.string(),
  attachments: z.array(z.object({ id: z.string(), filename: z.string(), contentType: z.string(), size: z.number(), kind: z.string(), url: z.string(), urlExpiresAt: IsoTime })),
  replyTo: z
    .object({
      id: z.string(),
      seq: z.number(),
      senderId: z.string(),
      preview: z.string().describe('the original\'s current text, first 100 characters; "" when it is deleted'),
      deleted: z.literal(true).optional().describe('the original was deleted'),
      hidden: z.literal(true).optional().describe('SPEC §9: the original is from a user the caller blocked (`preview` "")'),
    })
    .optional()
    .describe('the message this one replies to, as it is now (edited: its new text; deleted: `preview` "" and `deleted: true`)'),
  reactions: z.record(z.string(), z.array(z.string())),
  mentions: z.array(UserId).describe('participants the message mentions'),
  pinnedAt: IsoTime.optional().describe('when the message was pinned (absent: not pinned)'),
  pinnedBy: UserId.optional().describe('who pinned it'),
  clientMessageId: z.string().optional(),
  metadata: Metadata.optional(),
  createdAt: IsoTime,
  editedAt: IsoTime.optional(),
  deletedAt: IsoTime.optional(),
  hidden: z.literal(true).optional().describe('SPEC §9: a placeholder for a message from a user the caller blocked: `content` "", no attachments, reactions or metadata'),
  readBy: z.number().int(),
});

/** A registered push device (SPEC §8); the token is the caller's own, so it is shown back. */
export const Device = z.object({
  id: z.string(),
  platform: PushPlatform,
  token: z.string(),
  registeredAt: IsoTime,
});

/**
 * The `Detail` of the EventBridge event `chat.message.offline` (SPEC §8).
 * With `PUSH_PREVIEW=none` it has no `preview`, `senderName` or `chatTitle`.
 */
export const OfflineNotificationDetail = z.object({
  recipientId: UserId,
  chatId: ChatId,
  chatTitle: z.string().optional(),
  messageId: z.string(),
  seq: z.number().int().positive(),
  senderId: UserId,
  senderName: z.string().optional(),
  preview: z.string().optional().describe('first 100 characters'),
  mentioned: z.boolean(),
  unreadCount: z.number().int().min(0),
});

/** SPEC §3: the closed set of error codes clients switch on (`functions/domain/errors.ts` throws them). */
export const ErrorCode = z.enum([
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'rate_limited',
  'edit_window_expired',
  'attachment_not_uploaded',
  'attachment_type_mismatch',
  'blocked',
  'banned',
  'chat_frozen',
  'content_blocked',
  'sync_expired',
  'internal',
]);
/** One failed input check of a 400: `path` is like `body.participantIds[0]` or `frame.chatId`. */
export const FieldError = z.object({ path: z.string(), message: z.string() });
const RetryAfter = z.number().int().min(0).describe('seconds until a retry can succeed (also the `Retry-After` header on HTTP)');

/** RFC 9457 problem details, `application/problem+json` (SPEC §3). */
export const Problem = z.object({
  type: z.string().describe('`urn:problem:chat:<code>`'),
  title: z.string().describe('the HTTP status text'),
  status: z.number().int(),
  detail: z.string().describe('what went wrong, for people'),
  code: ErrorCode,
  instance: z.string().optional().describe('the request path'),
  errors: z.array(FieldError).optional().describe('the input checks that failed (400 `bad_request`)'),
  retryAfter: RetryAfter.optional(),
});

/**
 * API Gateway's own error body (`application/json`), answered without
 * invoking a function: stage throttling (429), a body over the payload quota
 * (413), an integration timeout (503), a function that crashed (500), a path
 * with no route (404).
 */
export const ApiGatewayError = z.object({ message: z.string() });

/** `GET /health`: `checks` only with `?deep=1`. */
export const Health = z.object({
  status: z.enum(['ok', 'degraded']),
  timestamp: IsoTime,
  version: z.string(),
  checks: z.record(z.string(), z.string()).optional(),
});
/** The API documents (their own standards define the rest; `functions/docs/*` generates them). */
export const OpenApiDocument = z.looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) });
export const AsyncApiDocument = z.looseObject({ asyncapi: z.literal('3.0.0'), info: z.looseObject({ title: z.string(), version: z.string() }), channels: z.record(z.string(), z.unknown()) });

// ---------------------------------------------------------------- requests

export const ChatParams = z.object({ chatId: ChatId });
export const UserParams = z.object({ userId: UserId });
/** Erasure and export ids are ULIDs. */
const JobId = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a ULID');
export const ErasureParams = z.object({ erasureId: JobId });
export const ExportParams = z.object({ exportId: JobId });

/** SPEC §10: an erasure and its progress. */
export const Erasure = z.object({
  id: z.string(),
  userId: UserId,
  status: z.enum(['pending', 'running', 'done']),
  messagesErased: z.number().int().describe('messages soft-deleted so far'),
  chatsLeft: z.number().int().describe('chats the user was removed from so far'),
  startedAt: IsoTime.describe('when the worker started (the request time until then)'),
  finishedAt: IsoTime.optional(),
});
/** SPEC §10: a data export; `url` (presigned GET of the JSON document) once `done`. */
export const Export = z.object({
  id: z.string(),
  userId: UserId,
  status: z.enum(['pending', 'running', 'done', 'failed']),
  createdAt: IsoTime,
  finishedAt: IsoTime.optional(),
  url: z.string().url().optional(),
  urlExpiresAt: IsoTime.optional(),
  bytes: z.number().int().optional(),
});

export const HealthQuery = z.object({ deep: z.enum(['0', '1', 'true', 'false']).optional() });
/** `GET /docs?api=`: which API the reference shows (default `http`). */
export const DocsQuery = z.object({ api: z.enum(['http', 'websocket']).optional() });

export const PutUserBody = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    roles: z.array(Role).max(3).optional(),
    email: z.string().email().max(254).optional(),
    /** SPEC §9: platform ban (`true`) or lifting it (`false`); alone, it changes nothing else. */
    banned: z.boolean().optional(),
    bannedReason: z.string().trim().min(1).max(500).optional(),
  })
  .refine((b) => b.name !== undefined || b.banned !== undefined, { message: 'give name (provisioning) or banned (a platform ban)' })
  .refine((b) => b.bannedReason === undefined || b.banned === true, { message: 'bannedReason goes with banned: true' });

export const CreateChatBody = z.object({
  type: z.enum(['direct', 'group']),
  participantIds: z.array(UserId).min(1).max(1000),
  title: z.string().trim().min(1).max(100).optional(),
  context: Context.optional(),
  metadata: Metadata.optional(),
});

export const ListChatsQuery = z.object({
  type: ChatType.optional(),
  status: ChatStatus.optional(),
  archived: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
});

/** Content length beyond SPEC's structural cap is checked by the domain against the configured limit. */
export const SendMessageBody = z.object({
  content: z.string().max(100_000).optional(),
  attachmentIds: z.array(z.string().max(64)).max(5).optional(),
  replyTo: z.string().max(128).optional(),
  clientMessageId: z.string().min(1).max(128).optional(),
  metadata: Metadata.optional(),
  type: z.enum(['text', 'system']).optional(),
  /** SPEC §5: ≤ 20, each a current participant (checked by the domain). */
  mentions: z.array(UserId).max(20).optional(),
});

export const ListMessagesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    before: SeqQuery.optional(),
    after: SeqQuery.optional(),
    q: z.string().trim().min(1).max(200).optional(),
  })
  .refine((q) => q.before === undefined || q.after === undefined, { message: 'use either before or after, not both' });

export const MarkReadBody = z.object({ upToSeq: z.number().int().min(0).optional() });

export const MessageParams = z.object({ chatId: ChatId, messageId: z.string().min(1).max(64) });
export const ReactionParams = MessageParams.extend({ reaction: z.string().min(1).max(32) });
export const EditMessageBody = z.object({
  content: z.string().max(100_000),
  // Not in the SPEC's `{content}`: an edit that adds or removes an @-mention says so (domain/messages.ts `editMessage`).
  mentions: z.array(UserId).max(20).optional().describe('replaces the message\'s mentions (≤ 20 participants; [] removes them); absent keeps them'),
});

export const CreateAttachmentBody = z.object({
  filename: z.string().min(1).max(1024),
  contentType: z.string().min(3).max(255),
  /** Bytes; the upload must be exactly this long. */
  size: z.number().int().min(1),
});

export const AttachmentUpload = z.object({
  attachment: z.object({ id: z.string(), filename: z.string(), contentType: z.string(), size: z.number(), kind: z.string(), status: z.literal('pending') }),
  upload: z.object({ method: z.literal('PUT'), url: z.string(), headers: z.record(z.string(), z.string()) }),
  expiresAt: IsoTime,
});

export const UpdateChatBody = z.object({
  title: z.string().trim().min(1).max(100).optional(),
  metadata: Metadata.optional(),
  status: ChatStatus.optional(),
  /** SPEC §9: freeze (`true`) or unfreeze the chat. */
  frozen: z.boolean().optional(),
});

export const ArchiveBody = z.object({ archived: z.boolean() });
export const NotificationsBody = z.object({ level: NotificationLevel });

/** Device ids are the app's own (an installation id): a safe alphabet, as user ids. */
export const DeviceParams = z.object({ deviceId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -') });
/**
 * APNs device tokens are 32 bytes (64 hex digits) today, documented as
 * variable length up to 100 bytes (200 hex digits); FCM registration tokens
 * run to about 160-200 characters, with no documented maximum: 4,096
 * bounds them generously (SNS accepts tokens up to that size).
 */
export const RegisterDeviceBody = z.discriminatedUnion('platform', [
  z.object({ platform: z.literal('apns'), token: z.string().regex(/^[0-9A-Fa-f]{64,200}$/, 'must be the APNs device token in hex (64-200 digits)') }),
  z.object({ platform: z.literal('apns_sandbox'), token: z.string().regex(/^[0-9A-Fa-f]{64,200}$/, 'must be the APNs device token in hex (64-200 digits)') }),
  z.object({ platform: z.literal('fcm'), token: z.string().regex(/^[A-Za-z0-9_:.-]{32,4096}$/, 'must be an FCM registration token (32-4,096 characters)') }),
]);

export const ParticipantParams = z.object({ chatId: ChatId, userId: UserId });

export const AddParticipantsBody = z.object({
  userIds: z.array(UserId).min(1).max(999),
  /** Extension: the owner may add group admins directly (SPEC has no role-change route). */
  role: z.enum(['member', 'admin']).optional(),
});

export const AssignBody = z.object({ agentId: UserId });

export const OpenSupportBody = z.object({
  subject: z.string().trim().min(1).max(100).optional(),
  initialMessage: z.string().max(100_000).optional(),
});

export const SendToUserBody = SendMessageBody.extend({ to: UserId });

export const SupportQueueQuery = z.object({
  status: ChatStatus.optional(),
  assigneeId: UserId.optional(),
  unassigned: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(1024).optional(),
});

export const SupportStats = z.object({
  byStatus: z.object({ open: z.number(), waiting: z.number(), resolved: z.number(), closed: z.number() }),
  openPerAgent: z.record(z.string(), z.number()),
  unassigned: z.number(),
  medianFirstResponseSeconds: z.number().nullable(),
  total: z.number(),
});

// ---------------------------------------------------------------- moderation (SPEC §9)

export const BlockedUser = z.object({ id: UserId, name: z.string(), blockedAt: IsoTime });
export const ReportReason = z.enum(['spam', 'harassment', 'inappropriate', 'other']);
export const ReportStatus = z.enum(['open', 'resolved', 'dismissed']);
export const ReportAction = z.enum(['none', 'delete_message', 'ban_user']);
export const Report = z.object({
  id: z.string(),
  chatId: ChatId,
  messageId: z.string(),
  reporterId: UserId,
  reason: ReportReason,
  details: z.string().optional(),
  status: ReportStatus,
  createdAt: IsoTime,
  message: Message.describe('the message as it was when reported, content included; once its author is erased (SPEC §10), the deleted form the message itself shows: `content` "", `attachments` [], `reactions` {}, no `metadata`, `deletedAt` set (`senderId` stays; the directory shows "Deleted user")'),
  resolvedAt: IsoTime.optional(),
  resolvedBy: UserId.optional(),
  action: ReportAction.optional(),
});
export const ReportBody = z.object({
  reason: ReportReason,
  details: z.string().trim().max(1000).optional().describe('≤ 1,000 characters'),
});
export const ReportParams = z.object({ reportId: z.string().regex(/^[0-9A-Za-z]{1,64}$/, 'must be an id returned by the API') });
export const ReportsQuery = z.object({
  status: ReportStatus.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(1024).optional(),
});
export const ResolveReportBody = z.object({
  status: z.enum(['resolved', 'dismissed']),
  action: ReportAction.optional().describe('default `none`; `delete_message` soft-deletes the message, `ban_user` bans its author platform-wide'),
});
export const ChatBan = z.object({
  userId: UserId,
  reason: z.string().optional(),
  bannedBy: UserId,
  createdAt: IsoTime,
  expiresAt: IsoTime.optional(),
});
export const ChatBanBody = z.object({
  userId: UserId,
  reason: z.string().trim().min(1).max(500).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional().describe('ISO-8601; the ban ends then (absent: until removed)'),
});

// ---------------------------------------------------------------- WebSocket frames (SPEC §6)

const RequestId = z.union([z.string().max(128), z.number()]).optional();
/** Error frames echo whatever string or number the frame carried, even one its action refused. */
const EchoedRequestId = z.union([z.string(), z.number()]).optional();

export const WsSendMessage = SendMessageBody.extend({
  action: z.literal('sendMessage'),
  requestId: RequestId,
  chatId: ChatId.optional(),
  to: UserId.optional(),
}).refine((f) => (f.chatId === undefined) !== (f.to === undefined), { message: 'give exactly one of chatId or to' });

export const WsTyping = z.object({ action: z.literal('typing'), requestId: RequestId, chatId: ChatId, isTyping: z.boolean() });
export const WsMarkRead = MarkReadBody.extend({ action: z.literal('markRead'), requestId: RequestId, chatId: ChatId });
export const WsPing = z.object({ action: z.literal('ping'), requestId: RequestId });

// ---------------------------------------------------------------- WebSocket server events (SPEC §6)

/** `ack`: the answer to an action; its other members depend on the action (`answer` of each route in `routes.ts`). */
export const Ack = z.object({ type: z.literal('ack'), requestId: RequestId });
const ackOf = <T extends z.ZodRawShape>(shape: T) => Ack.extend(shape);
/** The same `code` and `detail` as an HTTP problem; `message` repeats `detail` for older clients. */
export const ErrorFrame = z
  .object({
    type: z.literal('error'),
    requestId: EchoedRequestId,
    code: ErrorCode,
    detail: z.string(),
    message: z.string().describe('the same as `detail` (kept for older clients)'),
    errors: z.array(FieldError).optional(),
    retryAfter: RetryAfter.optional(),
  })
  .describe('answer to a failed, invalid or unknown action; `requestId` when the frame carried a readable one');
export const Pong = z.object({ type: z.literal('pong'), requestId: RequestId });
/**
 * API Gateway's own frame (no `type`) when an action's function failed or
 * timed out: `{"message": "Internal server error" | "Endpoint request timed out", connectionId, requestId}`,
 * where `requestId` is API Gateway's, not the client's.
 */
export const ApiGatewayFrame = z.object({ message: z.string(), connectionId: z.string(), requestId: z.string() });
/** A chat as one event payload shows it to every participant: without the caller-specific fields. */
export const ChatShared = Chat.omit({ unreadCount: true, unreadMentions: true, lastReadSeq: true, archived: true, notificationLevel: true });

/** Answers to the actions (the `answer` of each WebSocket route). */
export const SendMessageAck = ackOf({
  message: Message,
  replayed: z.boolean().describe('true: a repeat of this `clientMessageId`, answered with the first message and not sent again'),
  chat: Chat.optional(),
}).describe('`chat`: sent with `to`, the direct chat as the sender sees it after the send');
export const MarkReadAck = ackOf({ lastReadSeq: z.number().int(), unreadCount: z.number().int() });
/** SPEC §5: `relayed: false` when the typing event was dropped (one is relayed per user and chat every 2 s). */
export const TypingAck = ackOf({ relayed: z.boolean().describe('whether the event was relayed (false: dropped, one per user and chat every 2 s)') });

/** SPEC §6: every event but `typing` and `presence` carries the ISO time of the change. */
const At = IsoTime.describe('ISO time of the change (SPEC §6)');

/** Every frame the server sends, by `type` (SPEC §6): the three answers to actions, then the events. */
export const ServerEvents = {
  ack: Ack.describe('answer to a client action; each action documents its members (AsyncAPI `reply`)'),
  error: ErrorFrame,
  pong: Pong,
  'message.new': z.object({ type: z.literal('message.new'), chatId: ChatId, message: Message, at: At }),
  'message.edited': z.object({ type: z.literal('message.edited'), chatId: ChatId, message: Message, at: At }),
  'message.deleted': z.object({ type: z.literal('message.deleted'), chatId: ChatId, messageId: z.string(), seq: z.number().int(), at: At }),
  'reaction.updated': z.object({ type: z.literal('reaction.updated'), chatId: ChatId, messageId: z.string(), reactions: z.record(z.string(), z.array(z.string())), at: At }),
  'messages.read': z
    .object({ type: z.literal('messages.read'), chatId: ChatId, userId: UserId, lastReadSeq: z.number().int(), readAt: IsoTime, at: At })
    .describe("a participant's read marker moved; not sent for a sender's own send (`message.new` implies the sender's `lastReadSeq` is the message's seq)"),
  typing: z.object({ type: z.literal('typing'), chatId: ChatId, userId: UserId, isTyping: z.boolean() }),
  presence: z.object({ type: z.literal('presence'), userId: UserId, online: z.boolean(), lastSeenAt: IsoTime.optional() }),
  'chat.created': z.object({ type: z.literal('chat.created'), chat: Chat, at: At }),
  'chat.updated': z.object({ type: z.literal('chat.updated'), chat: ChatShared, at: At }),
  'participants.added': z.object({ type: z.literal('participants.added'), chatId: ChatId, userIds: z.array(UserId), at: At }),
  'participant.removed': z.object({ type: z.literal('participant.removed'), chatId: ChatId, userId: UserId, at: At }),
  'membership.updated': z
    .object({ type: z.literal('membership.updated'), chatId: ChatId, archived: z.boolean(), notificationLevel: NotificationLevel, at: At })
    .describe('only to the caller\'s own connections, after an archive or notification-level change'),
  'message.pinned': z.object({
    type: z.literal('message.pinned'),
    chatId: ChatId,
    messageId: z.string(),
    seq: z.number().int(),
    pinned: z.boolean(),
    pinnedBy: UserId.describe('who pinned or unpinned it'),
    pinnedAt: IsoTime.describe('when it was pinned or unpinned'),
    at: At,
  }),
} as const;

/** The frames that answer an action; every other `ServerEvents` type is an event pushed to participants. */
export type AnswerType = 'ack' | 'error' | 'pong';
export type EventType = Exclude<keyof typeof ServerEvents, AnswerType>;
/** An event pushed to participants' connections (SPEC §6), exactly as `ServerEvents` documents it. */
export type ServerEvent = z.infer<(typeof ServerEvents)[EventType]>;

// ---------------------------------------------------------------- sync (SPEC §7)

/** SPEC §7: `limit` default 100, at most 500 (above: 400). */
export const SyncQuery = z.object({
  since: z.string().min(1).max(2048).optional().describe('the `cursor` of the previous answer; absent: no events and a cursor for now'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** The events sync answers: every `ServerEvents` event but `typing` and `presence`, exactly as sent over WebSocket. */
export const SyncEvent = z.discriminatedUnion('type', [
  ServerEvents['message.new'],
  ServerEvents['message.edited'],
  ServerEvents['message.deleted'],
  ServerEvents['reaction.updated'],
  ServerEvents['messages.read'],
  ServerEvents['chat.created'],
  ServerEvents['chat.updated'],
  ServerEvents['participants.added'],
  ServerEvents['participant.removed'],
  ServerEvents['membership.updated'],
  ServerEvents['message.pinned'],
]);

export const SyncResponse = z.object({
  events: z.array(SyncEvent).describe('in the order they happened within each chat; at a page boundary a few may repeat (applying them again changes nothing)'),
  cursor: z.string().describe('opaque, bound to the caller: pass it as `since` next time'),
  hasMore: z.boolean().describe('true: call again at once with `cursor`'),
});

export type ChatT = z.infer<typeof Chat>;
export type SyncEventT = z.infer<typeof SyncEvent>;
export type MessageT = z.infer<typeof Message>;
export type UserT = z.infer<typeof User>;
export type ReportT = z.infer<typeof Report>;
export type PublicUserT = z.infer<typeof PublicUser>;
