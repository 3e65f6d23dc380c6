/**
 * The route table: the single source of truth for the HTTP and WebSocket
 * surface (SPEC §4, §6).
 *
 * - `lib/chat-stack.ts` creates one Lambda function and one API Gateway route
 *   per entry (HTTP API routes and WebSocket API routes).
 * - `local/gateway.ts` serves exactly these routes with the same handlers.
 * - Handlers pass their entry to `httpHandler()` / `wsHandler()`, which
 *   validate requests with the schemas listed here and enforce `auth`/`roles`;
 *   their results are typed from `response` (and `statuses`, `answer`).
 * - `docs/openapi.ts` and `docs/asyncapi.ts` document every status and answer
 *   (`contract.ts` adds the ones every route shares), the SDK generator
 *   (`scripts/generate-sdk.ts`) emits a method per route with its
 *   `idempotencyKey` and `paging`, and the end-to-end tests check every real
 *   answer against all of it.
 *
 * `handler` is the entry file, relative to the repository root; it must export
 * `handler`. Finer rules (participant, group owner) are enforced by the domain
 * and described in `access`.
 */
import * as z from 'zod';
import * as s from './schemas';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type PlatformRole = z.infer<typeof s.Role>;

/**
 * What a route's function may touch; the CDK stack turns each into the
 * narrowest IAM grant (`lib/chat-function.ts`). Every authenticated route
 * writes the caller's directory entry (SPEC §2), hence `table:write`.
 */
export type Permission = 'table:read' | 'table:write' | 'ws:manage' | 'bucket:read' | 'bucket:write' | 'events:put' | 'queue:send' | 'push:send' | 'push:unregister' | 'jobs:send';

/**
 * A status a route answers besides `response.status`, and when. A 2xx answers
 * the route's `response.body`, a 4xx/5xx a problem; `body` gives another
 * shape (e.g. `/health`'s 503).
 */
export type StatusFact = string | { readonly description: string; readonly body: z.ZodType };

/** How a paged route pages: `next` in the answer is passed back as the `cursor` query parameter. */
export interface Paging {
  /** The answer's array of items. */
  readonly items: string;
  /** The answer's field with the next page's cursor (null on the last page). */
  readonly next: string;
  /** The query parameter(s) taking it; with several, the one the first request used (default: the first). */
  readonly cursor: readonly string[];
}

export interface HttpRoute {
  /** PascalCase name: the CDK construct id of the function and route. */
  readonly name: string;
  readonly method: HttpMethod;
  /** API Gateway path syntax: `{param}` segments. */
  readonly path: string;
  readonly handler: string;
  /** `none`: no token (only `/health`); `user`: any valid token. */
  readonly auth: 'none' | 'user';
  /** The caller must have one of these platform roles (from the token). */
  readonly roles?: readonly PlatformRole[];
  /** Who may call it, in SPEC words (the domain enforces participant rules). */
  readonly access: string;
  readonly summary: string;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  /** JSON request body; a route without one ignores any body sent. */
  readonly body?: z.ZodType;
  readonly permissions: readonly Permission[];
  /** The status and body a handler's plain return value answers (`contentType` when it is not JSON). */
  readonly response: { readonly status: number; readonly body?: z.ZodType; readonly contentType?: string };
  /**
   * Every other status this route's own rules answer (`respond()` for a 2xx,
   * a thrown error for the rest). The ones every route shares (input, token,
   * roles, chat ids, API Gateway's) are added by `httpResponses()` in
   * `contract.ts`; the end-to-end tests fail on any status missing from both.
   */
  readonly statuses?: { readonly [status: number]: StatusFact };
  /** SPEC §10: an erased user's (still unexpired) token may call this route; every other route answers them 401. */
  readonly allowErased?: boolean;
  /** SDK: the body field that makes this POST idempotent; the SDK fills it in, and may then retry the request. */
  readonly idempotencyKey?: string;
  /** SDK: how to page through this route's answers. */
  readonly paging?: Paging;
  /**
   * The per-user limit (SPEC §5, `domain/limits.ts`) a call takes a slot of:
   * past it, 429 `rate_limited` with `Retry-After` (`contract.ts` adds the
   * status). The security suite checks every route listed here.
   */
  readonly rateLimit?: RateClass;
  /**
   * Files (paths from the repository root) the handler reads at run time:
   * the CDK stack copies each next to the function's bundle, under its base
   * name; the local stack reads them where they are.
   */
  readonly assets?: readonly string[];
}

/** SPEC §5 per-user limits; see `domain/limits.ts`. */
export type RateClass = 'messages' | 'writes' | 'chats' | 'participants';

export interface WsRoute {
  readonly name: string;
  /** `$connect`, `$disconnect`, `$default` or an `action` value. */
  readonly routeKey: string;
  readonly handler: string;
  readonly summary: string;
  /** An action: validates the whole frame (including `action` and `requestId`). */
  readonly frame?: z.ZodType;
  /** An action's answer to a valid frame (`ack` or `pong`); failures answer `error` frames. */
  readonly answer?: z.ZodObject<{ type: z.ZodLiteral<'ack' | 'pong'> } & z.ZodRawShape>;
  readonly permissions: readonly Permission[];
  /** Whether the handler's return value is sent back to the caller (a two-way route, `ack`/`error` frames). */
  readonly returnResponse: boolean;
  /** As `HttpRoute.rateLimit`; over the limit an `error` frame `rate_limited` with `retryAfter`. */
  readonly rateLimit?: RateClass;
}

const page = <K extends string, T extends z.ZodType>(key: K, item: T) =>
  z.object({ [key]: z.array(item), nextCursor: z.string().nullable() } as { [P in K]: z.ZodArray<T> } & { nextCursor: z.ZodNullable<z.ZodString> });
const one = <K extends string, T extends z.ZodType>(key: K, item: T) => z.object({ [key]: item } as { [P in K]: T });

const RW = ['table:read', 'table:write'] as const;
/** Routes that emit events post to `@connections`, or hand large chats' events to the fan-out queue. */
const RW_WS = [...RW, 'ws:manage', 'queue:send'] as const;
/**
 * Routes that send messages also publish offline notifications to
 * EventBridge (SPEC §5) and use attachments: the ranged GetObject (type, size, first bytes) and the copy from
 * `pending/` read the bucket; the copy, the pending cleanup and the deletion of mismatched bytes write it.
 */
const SEND = [...RW_WS, 'events:put', 'bucket:read', 'bucket:write'] as const;
/** Routes that answer messages sign attachment download URLs, which needs read access to the bucket. */
const READ_MESSAGES = [...RW, 'bucket:read'] as const;
/** Erasure requests erase the profile, queue the job and publish the audit event (SPEC §10). */
const ERASURE_REQUEST = [...RW, 'jobs:send', 'events:put'] as const;
/** Export requests record the export, queue the job and publish the audit event (SPEC §10). */
const EXPORT_REQUEST = [...RW, 'jobs:send', 'events:put'] as const;
/** Admin and support actions publish `chat.audit` events (SPEC §10, `domain/audit.ts`). */
const AUDITED = [...RW_WS, 'events:put'] as const;

export const httpRoutes = [
  {
    name: 'Health',
    permissions: ['table:read'],
    method: 'GET',
    path: '/health',
    handler: 'functions/http/health.ts',
    auth: 'none',
    access: 'anyone',
    summary: 'Liveness; `?deep=1` also checks DynamoDB and answers 503 when it is unreachable.',
    query: s.HealthQuery,
    response: { status: 200, body: s.Health },
    statuses: { 503: { description: 'With `?deep=1`: DynamoDB is unreachable (`status: "degraded"`).', body: s.Health } },
  },
  {
    name: 'OpenApi',
    method: 'GET',
    path: '/openapi.json',
    handler: 'functions/http/openapi.ts',
    auth: 'none',
    access: 'anyone',
    summary: 'This API\'s OpenAPI 3.1 document, generated from the route table.',
    permissions: [],
    response: { status: 200, body: s.OpenApiDocument },
  },
  {
    name: 'AsyncApi',
    method: 'GET',
    path: '/asyncapi.json',
    handler: 'functions/http/asyncapi.ts',
    auth: 'none',
    access: 'anyone',
    summary: 'The WebSocket API\'s AsyncAPI 3.0 document: every client action and server event with its payload schema.',
    permissions: [],
    response: { status: 200, body: s.AsyncApiDocument },
  },
  {
    name: 'Docs',
    method: 'GET',
    path: '/docs',
    handler: 'functions/http/docs.ts',
    auth: 'none',
    access: 'anyone',
    summary: 'API reference: `/openapi.json` (HTTP) or, with `?api=websocket`, `/asyncapi.json` (WebSocket), rendered in the browser by Redoc from `/docs/redoc.js`; no third-party origins (CSP).',
    permissions: [],
    query: s.DocsQuery,
    response: { status: 200, body: z.string().describe('an HTML page'), contentType: 'text/html; charset=utf-8' },
  },
  {
    name: 'DocsRenderer',
    method: 'GET',
    path: '/docs/redoc.js',
    handler: 'functions/http/docs-renderer.ts',
    auth: 'none',
    access: 'anyone',
    summary: 'The API reference renderer (Redoc\'s standalone bundle from the npm package, gzip-compressed), served by the stack so `/docs` works offline.',
    permissions: [],
    response: { status: 200, body: z.string().describe('JavaScript (gzip-compressed when the client accepts it)'), contentType: 'text/javascript; charset=utf-8' },
    assets: ['node_modules/redoc/bundles/redoc.standalone.js'],
  },
  {
    name: 'GetMe',
    permissions: RW,
    method: 'GET',
    path: '/v1/me',
    handler: 'functions/http/get-me.ts',
    auth: 'user',
    access: 'user',
    summary: 'The caller\'s own profile.',
    response: { status: 200, body: one('user', s.User) },
  },
  {
    name: 'PutUser',
    // A ban closes the user's connections (ws:manage) and is audited on the bus (events:put).
    permissions: [...RW, 'ws:manage', 'events:put'],
    method: 'PUT',
    path: '/v1/users/{userId}',
    handler: 'functions/http/put-user.ts',
    auth: 'user',
    roles: ['admin'],
    access: 'admin',
    summary: 'Provision or update a user in the directory; `banned` bans (closing their connections) or lifts a ban (SPEC §9).',
    params: s.UserParams,
    body: s.PutUserBody,
    response: { status: 200, body: one('user', s.User) },
    statuses: {
      400: 'An admin banning themselves (`bad_request`).',
      404: '`banned` without `name` for a user the directory does not know (`not_found`).',
    },
  },
  {
    name: 'GetUser',
    permissions: RW,
    method: 'GET',
    path: '/v1/users/{userId}',
    handler: 'functions/http/get-user.ts',
    auth: 'user',
    access: 'user',
    summary: 'Public profile `{id, name}`; `roles`, `online` and `lastSeenAt` only for callers who share a chat with the user, and for admins.',
    params: s.UserParams,
    response: { status: 200, body: one('user', s.PublicUser) },
    statuses: { 404: 'No such user (`not_found`).' },
  },
  {
    name: 'CreateChat',
    rateLimit: 'chats',
    permissions: RW_WS,
    method: 'POST',
    path: '/v1/chats',
    handler: 'functions/http/create-chat.ts',
    auth: 'user',
    access: 'user',
    summary: 'Create a direct chat (idempotent per pair: 200 with the existing chat, 201 when created) or a group chat.',
    body: s.CreateChatBody,
    response: { status: 201, body: one('chat', s.Chat) },
    statuses: {
      200: 'The existing direct chat of this pair, or the existing chat of this `context` with the same people (creation is idempotent).',
      403: 'A direct chat with a user who blocks the caller or whom the caller blocks (`blocked`, SPEC §9).',
      404: 'A participant is not a known user (`not_found`).',
      409: 'The chat of this `context` and these people exists, but the caller has left it (`conflict`).',
    },
  },
  {
    name: 'ListChats',
    permissions: RW,
    method: 'GET',
    path: '/v1/chats',
    handler: 'functions/http/list-chats.ts',
    auth: 'user',
    access: 'user',
    summary: 'The caller\'s chats, latest activity first, with `unreadCount`, `lastSeq`, `lastMessage`; cursor pagination.',
    query: s.ListChatsQuery,
    response: { status: 200, body: page('chats', s.Chat) },
    paging: { items: 'chats', next: 'nextCursor', cursor: ['cursor'] },
  },
  {
    name: 'GetChat',
    permissions: RW,
    method: 'GET',
    path: '/v1/chats/{chatId}',
    handler: 'functions/http/get-chat.ts',
    auth: 'user',
    access: 'participant, admin',
    summary: 'One chat with its participants.',
    params: s.ChatParams,
    response: { status: 200, body: one('chat', s.Chat) },
  },
  {
    name: 'ListMessages',
    permissions: READ_MESSAGES,
    method: 'GET',
    path: '/v1/chats/{chatId}/messages',
    handler: 'functions/http/list-messages.ts',
    auth: 'user',
    access: 'participant, admin',
    summary: 'Messages ascending by seq: `before` (latest page below it), `after` (earliest page above it), or the latest page; `hasMore`.',
    params: s.ChatParams,
    query: s.ListMessagesQuery,
    response: { status: 200, body: page('messages', s.Message).extend({ hasMore: z.boolean() }) },
    // Older pages with `before` (the default), newer ones with `after`: `nextCursor` continues in the direction the first request took.
    paging: { items: 'messages', next: 'nextCursor', cursor: ['before', 'after'] },
  },
  {
    name: 'SendMessage',
    rateLimit: 'messages',
    permissions: SEND,
    method: 'POST',
    path: '/v1/chats/{chatId}/messages',
    handler: 'functions/http/send-message.ts',
    auth: 'user',
    access: 'participant',
    summary: 'Send a message; emits `message.new` to every participant.',
    params: s.ChatParams,
    body: s.SendMessageBody,
    response: { status: 201, body: one('message', s.Message) },
    statuses: {
      200: 'A repeat of this `clientMessageId`: the first message, not stored or sent again.',
      400: 'An attachment id that is not an uploaded, unused attachment of the sender in this chat (`attachment_not_uploaded`); an attachment whose first bytes are not of its declared type (`attachment_type_mismatch`); a blocked word (`content_blocked`, SPEC §9).',
      403: '`type: "system"` without the admin role (`forbidden`); a direct chat where either user blocks the other (`blocked`); a frozen chat (`chat_frozen`), SPEC §9.',
      409: 'A first send with this `clientMessageId` is still being stored (`conflict`, `Retry-After`): retry.',
      429: 'Over the rate limit (`rate_limited`, SPEC §5; `Retry-After` says when the window resets).',
    },
    idempotencyKey: 'clientMessageId',
  },
  {
    name: 'EditMessage',
    rateLimit: 'writes',
    method: 'PATCH',
    path: '/v1/chats/{chatId}/messages/{messageId}',
    handler: 'functions/http/edit-message.ts',
    auth: 'user',
    access: 'author, within the edit window',
    summary: 'Edit a message (15 min window; later 403 `edit_window_expired`); `mentions` replaces its mentions (newly mentioned participants count it in `unreadMentions` and are notified offline; removed ones stop counting); emits `message.edited`.',
    permissions: [...RW_WS, 'bucket:read'],
    params: s.MessageParams,
    body: s.EditMessageBody,
    response: { status: 200, body: one('message', s.Message) },
    statuses: {
      400: 'A blocked word (`content_blocked`, SPEC §9), more than 20 mentions or a newly mentioned user who is not a participant (`bad_request`).',
      403: 'Not the author (`forbidden`), past the edit window (`edit_window_expired`), or a frozen chat (`chat_frozen`, SPEC §9).',
      409: 'The message was deleted (`conflict`).',
    },
  },
  {
    name: 'DeleteMessage',
    rateLimit: 'writes',
    method: 'DELETE',
    path: '/v1/chats/{chatId}/messages/{messageId}',
    handler: 'functions/http/delete-message.ts',
    auth: 'user',
    access: 'author, group owner/admin, admin',
    summary: 'Soft delete (idempotent); emits `message.deleted`.',
    permissions: [...AUDITED, 'bucket:write'],
    params: s.MessageParams,
    response: { status: 200, body: one('message', s.Message) },
    statuses: { 403: 'Neither the author, a group owner/admin nor an admin (`forbidden`).' },
  },
  {
    name: 'AddReaction',
    rateLimit: 'writes',
    method: 'PUT',
    path: '/v1/chats/{chatId}/messages/{messageId}/reactions/{reaction}',
    handler: 'functions/http/add-reaction.ts',
    auth: 'user',
    access: 'participant',
    summary: 'Add the caller\'s reaction (`like`, `dislike` or one emoji of Unicode\'s RGI list; ≤ 50 distinct per message, then 409); emits `reaction.updated`.',
    permissions: [...RW_WS, 'bucket:read'],
    params: s.ReactionParams,
    response: { status: 200, body: one('message', s.Message) },
    statuses: {
      400: 'Not `like`, `dislike` or one emoji of Unicode\'s RGI list (`bad_request`).',
      403: 'A frozen chat (`chat_frozen`, SPEC §9).',
      409: 'The message was deleted, or already has 50 distinct reactions (`conflict`).',
    },
  },
  {
    name: 'RemoveReaction',
    rateLimit: 'writes',
    method: 'DELETE',
    path: '/v1/chats/{chatId}/messages/{messageId}/reactions/{reaction}',
    handler: 'functions/http/remove-reaction.ts',
    auth: 'user',
    access: 'participant',
    summary: 'Remove the caller\'s reaction; emits `reaction.updated`.',
    permissions: [...RW_WS, 'bucket:read'],
    params: s.ReactionParams,
    response: { status: 200, body: one('message', s.Message) },
    statuses: {
      400: 'Not `like`, `dislike` or one emoji of Unicode\'s RGI list (`bad_request`).',
      403: 'A frozen chat (`chat_frozen`, SPEC §9).',
      409: 'The message was deleted, or its reactions kept changing (`conflict`): retry.',
    },
  },
  {
    name: 'MarkRead',
    permissions: RW_WS,
    method: 'POST',
    path: '/v1/chats/{chatId}/read',
    handler: 'functions/http/mark-read.ts',
    auth: 'user',
    access: 'participant',
    summary: 'Move the caller\'s read marker forward (default: latest); emits `messages.read`.',
    params: s.ChatParams,
    body: s.MarkReadBody,
    response: { status: 200, body: z.object({ lastReadSeq: z.number().int(), unreadCount: z.number().int() }) },
  },
  {
    name: 'CreateAttachment',
    rateLimit: 'writes',
    method: 'POST',
    path: '/v1/chats/{chatId}/attachments',
    handler: 'functions/http/create-attachment.ts',
    auth: 'user',
    access: 'participant',
    summary: 'Reserve an attachment and get a presigned S3 upload bound to its key, type and size.',
    permissions: [...RW, 'bucket:write'],
    params: s.ChatParams,
    body: s.CreateAttachmentBody,
    response: { status: 201, body: s.AttachmentUpload },
    statuses: { 413: '`size` over `MAX_ATTACHMENT_BYTES` (`payload_too_large`).' },
  },
  {
    name: 'GetStats',
    permissions: RW,
    method: 'GET',
    path: '/v1/stats',
    handler: 'functions/http/get-stats.ts',
    auth: 'user',
    access: 'user',
    summary: '`{chats, unreadChats, unreadMessages, unreadMentions}` over the caller\'s non-archived chats.',
    response: {
      status: 200,
      body: z.object({ chats: z.number().int(), unreadChats: z.number().int(), unreadMessages: z.number().int(), unreadMentions: z.number().int().describe('unread messages that mention the caller') }),
    },
  },
  {
    name: 'Sync',
    permissions: RW,
    method: 'GET',
    path: '/v1/sync',
    handler: 'functions/http/sync.ts',
    auth: 'user',
    access: 'user',
    summary:
      'SPEC §7: the events the caller missed since `since` (every event but `typing` and `presence`, as sent over WebSocket), in order within each chat; without `since` no events and a cursor for now. While `hasMore`, call again at once with `cursor`.',
    query: s.SyncQuery,
    response: { status: 200, body: s.SyncResponse },
    statuses: {
      400: '`since` is not one of the caller\'s cursors (forged, edited or another user\'s), or `limit` is over 500 (`bad_request`).',
      410: '`since` is older than the sync window (`SYNC_WINDOW_DAYS`, 30 days; `sync_expired`): reload the chat list and open chats, then sync without `since`.',
    },
  },
  {
    name: 'UpdateChat',
    rateLimit: 'writes',
    method: 'PATCH',
    path: '/v1/chats/{chatId}',
    handler: 'functions/http/update-chat.ts',
    auth: 'user',
    access: 'group owner/admin, platform admin; for support chats the assignee, support agents, admins (also `status`); `frozen`: group owner/admin, support agents in support chats, admin anywhere',
    summary: 'Change title, metadata, (support chats) status, or freeze the chat (`frozen`, SPEC §9); emits `chat.updated`.',
    permissions: AUDITED,
    params: s.ChatParams,
    body: s.UpdateChatBody,
    response: { status: 200, body: one('chat', s.Chat) },
    statuses: {
      403: 'Not allowed to change this chat (`forbidden`).',
      409: 'A closed support chat, or the chat changed meanwhile (`conflict`).',
    },
  },
  {
    name: 'ArchiveChat',
    rateLimit: 'writes',
    method: 'PUT',
    path: '/v1/chats/{chatId}/archive',
    handler: 'functions/http/archive-chat.ts',
    auth: 'user',
    access: 'participant',
    summary: 'Set the caller\'s own archive flag (idempotent, not a toggle).',
    permissions: RW,
    params: s.ChatParams,
    body: s.ArchiveBody,
    response: { status: 200, body: one('chat', s.Chat) },
  },
  {
    name: 'AddParticipants',
    rateLimit: 'participants',
    method: 'POST',
    path: '/v1/chats/{chatId}/participants',
    handler: 'functions/http/add-participants.ts',
    auth: 'user',
    access: 'group owner/admin, platform admin',
    summary: 'Add users to a group (≤ 1,000 participants); emits `participants.added`.',
    permissions: AUDITED,
    params: s.ChatParams,
    body: s.AddParticipantsBody,
    response: { status: 200, body: one('chat', s.Chat) },
    statuses: {
      403: 'Not the group\'s owner or admin; only the owner adds admins (`forbidden`).',
      404: 'A user is not known (`not_found`).',
      409: 'Participants changed meanwhile (`conflict`): retry; or a user is banned from this group (`banned`, SPEC §9).',
    },
  },
  {
    name: 'RemoveParticipant',
    rateLimit: 'writes',
    method: 'DELETE',
    path: '/v1/chats/{chatId}/participants/{userId}',
    handler: 'functions/http/remove-participant.ts',
    auth: 'user',
    access: 'group owner/admin, platform admin, or self (leave)',
    summary: 'Remove a participant or leave; emits `participant.removed` (to the removed user too).',
    permissions: AUDITED,
    params: s.ParticipantParams,
    response: { status: 204 },
    statuses: { 403: 'May not remove this participant (`forbidden`).' },
  },
  {
    name: 'AssignChat',
    rateLimit: 'writes',
    method: 'PUT',
    path: '/v1/chats/{chatId}/assignee',
    handler: 'functions/http/assign-chat.ts',
    auth: 'user',
    roles: ['support', 'admin'],
    access: 'admin; a support agent may claim an unassigned chat',
    summary: 'Assign a support chat; the agent joins as `agent`; emits `chat.updated`.',
    permissions: AUDITED,
    params: s.ChatParams,
    body: s.AssignBody,
    response: { status: 200, body: one('chat', s.Chat) },
    statuses: {
      403: 'A support agent may only claim an unassigned chat for themselves (`forbidden`).',
      404: 'The agent is not a known user (`not_found`).',
      409: 'Already assigned, closed, or changed meanwhile (`conflict`).',
    },
  },
  {
    name: 'OpenSupportChat',
    rateLimit: 'chats',
    method: 'POST',
    path: '/v1/chats/support',
    handler: 'functions/http/open-support-chat.ts',
    auth: 'user',
    access: 'user',
    summary: 'The caller\'s open support chat (200) or a new one (201) assigned to the least-loaded agent.',
    permissions: [...RW_WS, 'events:put'],
    body: s.OpenSupportBody,
    response: { status: 201, body: one('chat', s.Chat) },
    statuses: {
      200: 'The caller\'s support chat that is not closed yet (`initialMessage` is not sent again).',
      429: 'Over the chat-creation or (with `initialMessage`) the message rate limit (`rate_limited`, `Retry-After`); no chat was created.',
    },
  },
  {
    name: 'SendToUser',
    rateLimit: 'messages',
    method: 'POST',
    path: '/v1/messages',
    handler: 'functions/http/send-to-user.ts',
    auth: 'user',
    access: 'user',
    summary: 'Find or create the direct chat with `to`, then send; answers `{message, chat}`.',
    permissions: SEND,
    body: s.SendToUserBody,
    response: { status: 201, body: z.object({ message: s.Message, chat: s.Chat }) },
    statuses: {
      200: 'A repeat of this `clientMessageId`: the first message, not stored or sent again.',
      404: '`to` is not a known user (`not_found`).',
      400: 'An attachment id that is not an uploaded, unused attachment of the sender in this chat (`attachment_not_uploaded`); an attachment whose first bytes are not of its declared type (`attachment_type_mismatch`); a blocked word (`content_blocked`, SPEC §9).',
      403: '`type: "system"` without the admin role (`forbidden`); either user blocks the other (`blocked`, SPEC §9).',
      409: 'A first send with this `clientMessageId` is still being stored (`conflict`, `Retry-After`): retry.',
      429: 'Over the rate limit (`rate_limited`, SPEC §5; `Retry-After` says when the window resets).',
    },
    idempotencyKey: 'clientMessageId',
  },
  {
    name: 'SupportQueue',
    method: 'GET',
    path: '/v1/support/chats',
    handler: 'functions/http/support-queue.ts',
    auth: 'user',
    roles: ['support', 'admin'],
    access: 'support, admin',
    summary: 'Support chats by status, oldest first; `status`, `assigneeId`, `unassigned=true`, cursor.',
    permissions: RW,
    query: s.SupportQueueQuery,
    response: { status: 200, body: page('chats', s.Chat) },
    paging: { items: 'chats', next: 'nextCursor', cursor: ['cursor'] },
  },
  {
    name: 'SupportStats',
    method: 'GET',
    path: '/v1/support/stats',
    handler: 'functions/http/support-stats.ts',
    auth: 'user',
    roles: ['support', 'admin'],
    access: 'support, admin',
    summary: 'Support chats by status, open chats per agent, median first-response time (seconds).',
    permissions: RW,
    response: { status: 200, body: s.SupportStats },
  },
  {
    name: 'BlockUser',
    rateLimit: 'writes',
    method: 'PUT',
    path: '/v1/me/blocks/{userId}',
    handler: 'functions/http/block-user.ts',
    auth: 'user',
    access: 'user',
    summary: 'Block a user (idempotent): no direct chat either way, their messages hidden elsewhere, no typing or presence between you (SPEC §9).',
    permissions: RW,
    params: s.UserParams,
    response: { status: 204 },
    statuses: { 400: 'Blocking oneself (`bad_request`).', 404: 'No such user (`not_found`).' },
  },
  {
    name: 'UnblockUser',
    rateLimit: 'writes',
    method: 'DELETE',
    path: '/v1/me/blocks/{userId}',
    handler: 'functions/http/unblock-user.ts',
    auth: 'user',
    access: 'user',
    summary: 'Lift a block (idempotent); their messages show again.',
    permissions: RW,
    params: s.UserParams,
    response: { status: 204 },
  },
  {
    name: 'ListBlocks',
    method: 'GET',
    path: '/v1/me/blocks',
    handler: 'functions/http/list-blocks.ts',
    auth: 'user',
    access: 'user',
    summary: 'The users the caller blocks, oldest block first.',
    permissions: RW,
    response: { status: 200, body: z.object({ users: z.array(s.BlockedUser) }) },
  },
  {
    name: 'ReportMessage',
    rateLimit: 'writes',
    method: 'POST',
    path: '/v1/chats/{chatId}/messages/{messageId}/reports',
    handler: 'functions/http/report-message.ts',
    auth: 'user',
    access: 'participant',
    summary: 'Report a message (idempotent per reporter and message); keeps a snapshot of it and publishes `chat.report.created` (SPEC §9).',
    permissions: [...RW, 'bucket:read', 'events:put'],
    params: s.MessageParams,
    body: s.ReportBody,
    response: { status: 201, body: one('report', s.Report) },
    statuses: {
      200: 'The caller reported this message before: the first report.',
      400: 'Reporting one\'s own message (`bad_request`).',
      404: 'No such message in this chat (`not_found`).',
    },
  },
  {
    name: 'ListReports',
    method: 'GET',
    path: '/v1/moderation/reports',
    handler: 'functions/http/list-reports.ts',
    auth: 'user',
    roles: ['admin'],
    access: 'admin',
    summary: 'The moderation queue: open reports first, oldest first; `status`, `limit`, `cursor`.',
    permissions: RW,
    query: s.ReportsQuery,
    response: { status: 200, body: page('reports', s.Report) },
    paging: { items: 'reports', next: 'nextCursor', cursor: ['cursor'] },
  },
  {
    name: 'ResolveReport',
    method: 'PATCH',
    path: '/v1/moderation/reports/{reportId}',
    handler: 'functions/http/resolve-report.ts',
    auth: 'user',
    roles: ['admin'],
    access: 'admin',
    summary: 'Close a report; `delete_message` soft-deletes the message (`message.deleted`), `ban_user` bans its author platform-wide.',
    // delete_message: the delete's events and objects; ban_user: closing connections; both: audit on the bus.
    permissions: [...RW_WS, 'bucket:write', 'events:put'],
    params: s.ReportParams,
    body: s.ResolveReportBody,
    response: { status: 200, body: one('report', s.Report) },
    statuses: { 400: '`dismissed` with an action (`bad_request`).', 404: 'No such report (`not_found`).', 409: 'The report is already closed (`conflict`).' },
  },
  {
    name: 'BanFromChat',
    rateLimit: 'writes',
    method: 'POST',
    path: '/v1/chats/{chatId}/bans',
    handler: 'functions/http/ban-from-chat.ts',
    auth: 'user',
    access: 'group owner/admin, platform admin; never the owner, and a group admin cannot ban another admin',
    summary: 'Ban a user from a group: removes them (`participant.removed`) and keeps them out until unbanned or `expiresAt` (SPEC §9).',
    permissions: [...RW_WS, 'events:put'],
    params: s.ChatParams,
    body: s.ChatBanBody,
    response: { status: 201, body: one('ban', s.ChatBan) },
    statuses: {
      400: 'Not a group, `expiresAt` in the past, or banning oneself (`bad_request`).',
      403: 'Not the group\'s owner or admin, or a target they may not ban (the owner; another admin) (`forbidden`).',
    },
  },
  {
    name: 'ListChatBans',
    method: 'GET',
    path: '/v1/chats/{chatId}/bans',
    handler: 'functions/http/list-chat-bans.ts',
    auth: 'user',
    access: 'group owner/admin, platform admin',
    summary: 'The group\'s bans in force, oldest first.',
    permissions: RW,
    params: s.ChatParams,
    response: { status: 200, body: z.object({ bans: z.array(s.ChatBan) }) },
    statuses: { 403: 'Not the group\'s owner or admin (`forbidden`).' },
  },
  {
    name: 'UnbanFromChat',
    rateLimit: 'writes',
    method: 'DELETE',
    path: '/v1/chats/{chatId}/bans/{userId}',
    handler: 'functions/http/unban-from-chat.ts',
    auth: 'user',
    access: 'group owner/admin, platform admin',
    summary: 'Lift a group ban (idempotent); the user can be added again.',
    permissions: [...RW, 'events:put'],
    params: s.ParticipantParams,
    response: { status: 204 },
    statuses: { 403: 'Not the group\'s owner or admin (`forbidden`).' },
  },
  {
    name: 'SetNotificationLevel',
    rateLimit: 'writes',
    method: 'PUT',
    path: '/v1/chats/{chatId}/notifications',
    handler: 'functions/http/set-notification-level.ts',
    auth: 'user',
    access: 'participant',
    summary: 'Set the caller\'s notification level for this chat (`all`, `mentions`, `none`; idempotent); emits `membership.updated` to the caller\'s own connections.',
    permissions: RW_WS,
    params: s.ChatParams,
    body: s.NotificationsBody,
    response: { status: 200, body: one('chat', s.Chat) },
  },
  {
    name: 'PinMessage',
    rateLimit: 'writes',
    method: 'PUT',
    path: '/v1/chats/{chatId}/messages/{messageId}/pin',
    handler: 'functions/http/pin-message.ts',
    auth: 'user',
    access: 'group owner/admin; any participant in direct and support chats; admin',
    summary: 'Pin a message (idempotent; ≤ 50 pinned per chat, then 409); emits `message.pinned`.',
    permissions: [...RW_WS, 'bucket:read'],
    params: s.MessageParams,
    response: { status: 200, body: one('message', s.Message) },
    statuses: {
      403: 'A group member who is neither owner nor admin (`forbidden`).',
      409: 'The message is deleted, or the chat already has 50 pinned messages (`conflict`).',
    },
  },
  {
    name: 'UnpinMessage',
    rateLimit: 'writes',
    method: 'DELETE',
    path: '/v1/chats/{chatId}/messages/{messageId}/pin',
    handler: 'functions/http/unpin-message.ts',
    auth: 'user',
    access: 'group owner/admin; any participant in direct and support chats; admin',
    summary: 'Unpin a message (idempotent); emits `message.pinned` with `pinned: false`.',
    permissions: [...RW_WS, 'bucket:read'],
    params: s.MessageParams,
    response: { status: 200, body: one('message', s.Message) },
    statuses: { 403: 'A group member who is neither owner nor admin (`forbidden`).' },
  },
  {
    name: 'ListPins',
    method: 'GET',
    path: '/v1/chats/{chatId}/pins',
    handler: 'functions/http/list-pins.ts',
    auth: 'user',
    access: 'participant, admin',
    summary: 'The pinned messages of a chat, most recently pinned first (≤ 50, one page).',
    permissions: READ_MESSAGES,
    params: s.ChatParams,
    response: { status: 200, body: page('messages', s.Message) },
  },
  {
    name: 'ListDevices',
    method: 'GET',
    path: '/v1/me/devices',
    handler: 'functions/http/list-devices.ts',
    auth: 'user',
    access: 'user (own devices)',
    summary: 'The caller\'s registered push devices, most recently registered first (≤ 10).',
    permissions: RW,
    response: { status: 200, body: z.object({ devices: z.array(s.Device) }) },
  },
  {
    name: 'RegisterDevice',
    rateLimit: 'writes',
    method: 'PUT',
    path: '/v1/me/devices/{deviceId}',
    handler: 'functions/http/register-device.ts',
    auth: 'user',
    access: 'user (own devices)',
    summary: 'Register a push token (`apns`, `apns_sandbox`, `fcm`) for this device; a token registered by another device moves here; an 11th device replaces the least recently registered.',
    // Creating the SNS platform endpoint happens on the first push, in the push worker; the endpoints of
    // devices this replaces (token moved or changed, the 10-device cap) are deleted here (push:unregister).
    permissions: [...RW, 'push:unregister'],
    params: s.DeviceParams,
    body: s.RegisterDeviceBody,
    response: { status: 200, body: one('device', s.Device) },
    statuses: { 409: 'The token changed hands again while registering (`conflict`): retry.' },
  },
  {
    name: 'GetDevice',
    method: 'GET',
    path: '/v1/me/devices/{deviceId}',
    handler: 'functions/http/get-device.ts',
    auth: 'user',
    access: 'user (own devices)',
    summary: 'One of the caller\'s devices.',
    permissions: RW,
    params: s.DeviceParams,
    response: { status: 200, body: one('device', s.Device) },
    statuses: { 404: 'The caller has no device with this id (`not_found`).' },
  },
  {
    name: 'DeleteDevice',
    rateLimit: 'writes',
    method: 'DELETE',
    path: '/v1/me/devices/{deviceId}',
    handler: 'functions/http/delete-device.ts',
    auth: 'user',
    access: 'user (own devices)',
    summary: 'Remove one of the caller\'s devices (idempotent); it gets no more pushes.',
    // Deletes the device's SNS platform endpoint too (push:unregister).
    permissions: [...RW, 'push:unregister'],
    params: s.DeviceParams,
    response: { status: 204 },
  },
  {
    name: 'EraseUser',
    method: 'DELETE',
    path: '/v1/users/{userId}',
    handler: 'functions/http/erase-user.ts',
    auth: 'user',
    roles: ['admin'],
    access: 'admin',
    summary: 'Erase a user (SPEC §10): 202 with the erasure; the worker erases their messages, reactions, memberships, connections and presence in the background. Idempotent per user.',
    permissions: ERASURE_REQUEST,
    params: s.UserParams,
    response: { status: 202, body: one('erasure', s.Erasure) },
    statuses: { 404: 'No such user (`not_found`).', 503: 'The job could not be queued (`internal`): retry; the repeat answers the same erasure.' },
  },
  {
    name: 'EraseMe',
    method: 'DELETE',
    path: '/v1/me',
    handler: 'functions/http/erase-me.ts',
    auth: 'user',
    access: 'user (self)',
    summary: 'Erase the caller (SPEC §10): 202 with the erasure; from then on their tokens open nothing but `GET /v1/erasures/{erasureId}`. Idempotent.',
    permissions: ERASURE_REQUEST,
    response: { status: 202, body: one('erasure', s.Erasure) },
    statuses: { 503: 'The job could not be queued (`internal`): retry; the repeat answers the same erasure.' },
  },
  {
    name: 'GetErasure',
    method: 'GET',
    path: '/v1/erasures/{erasureId}',
    handler: 'functions/http/get-erasure.ts',
    auth: 'user',
    access: 'admin, or the erased user (while their token is valid)',
    summary: 'An erasure\'s progress: `status`, `messagesErased`, `chatsLeft`, `startedAt`, `finishedAt`.',
    permissions: RW,
    params: s.ErasureParams,
    response: { status: 200, body: one('erasure', s.Erasure) },
    statuses: { 404: 'No such erasure, or not the caller\'s (`not_found`).' },
    allowErased: true,
  },
  {
    name: 'ExportMe',
    rateLimit: 'writes',
    method: 'POST',
    path: '/v1/me/exports',
    handler: 'functions/http/export-me.ts',
    auth: 'user',
    access: 'user (self)',
    summary: 'Export the caller\'s data (SPEC §10): 202 with a pending export; the worker writes one JSON document (profile, chats with role and read marker, messages sent with reactions and attachment metadata, reactions, devices, blocks, reports).',
    permissions: EXPORT_REQUEST,
    response: { status: 202, body: one('export', s.Export) },
    statuses: { 503: 'The job could not be queued (`internal`): retry.' },
  },
  {
    name: 'ExportUser',
    rateLimit: 'writes',
    method: 'POST',
    path: '/v1/users/{userId}/exports',
    handler: 'functions/http/export-user.ts',
    auth: 'user',
    roles: ['admin'],
    access: 'admin',
    summary: 'Export a user\'s data (SPEC §10): 202 with a pending export that the requesting admin (and other admins) can read.',
    permissions: EXPORT_REQUEST,
    params: s.UserParams,
    response: { status: 202, body: one('export', s.Export) },
    statuses: { 404: 'No such user (`not_found`).', 503: 'The job could not be queued (`internal`): retry.' },
  },
  {
    name: 'GetExport',
    method: 'GET',
    path: '/v1/exports/{exportId}',
    handler: 'functions/http/get-export.ts',
    auth: 'user',
    access: 'its requester, admin',
    summary: 'An export\'s status; once `done`, `url` is a presigned GET of the JSON document, valid until `urlExpiresAt`.',
    permissions: READ_MESSAGES,
    params: s.ExportParams,
    response: { status: 200, body: one('export', s.Export) },
    statuses: { 404: 'No such export, or not the caller\'s (`not_found`).' },
  },
] as const satisfies readonly HttpRoute[];

export const wsRoutes = [
  {
    name: 'WsConnect',
    permissions: RW,
    routeKey: '$connect',
    handler: 'functions/ws/connect.ts',
    summary: 'Authenticates `?token=`, records the connection; a bad token refuses the upgrade with 401, a banned user with 403 (SPEC §9).',
    returnResponse: false,
  },
  {
    name: 'WsDisconnect',
    permissions: RW,
    routeKey: '$disconnect',
    handler: 'functions/ws/disconnect.ts',
    summary: 'Removes the connection record (best effort on AWS; TTL covers the rest).',
    returnResponse: false,
  },
  {
    name: 'WsDefault',
    // Reads the connection (is its token still valid?) and closes an expired one (SPEC §6).
    permissions: [...RW, 'ws:manage'],
    routeKey: '$default',
    handler: 'functions/ws/default.ts',
    summary: 'Unknown actions and unparseable frames: answers an `error` frame and keeps the connection.',
    returnResponse: true,
  },
  {
    name: 'WsSendMessage',
    rateLimit: 'messages',
    permissions: SEND,
    routeKey: 'sendMessage',
    handler: 'functions/ws/send-message.ts',
    summary: 'Send to `chatId` (or to a user with `to`); acks with the stored `message` (`replayed: true` for a repeated `clientMessageId`).',
    frame: s.WsSendMessage,
    answer: s.SendMessageAck,
    returnResponse: true,
  },
  {
    name: 'WsTyping',
    permissions: RW_WS,
    routeKey: 'typing',
    handler: 'functions/ws/typing.ts',
    summary: 'Relays `typing` to the other participants\' connections, at most one per user and chat every 2 s (extras are acked with `relayed: false` and dropped); never stored.',
    frame: s.WsTyping,
    answer: s.TypingAck,
    returnResponse: true,
  },
  {
    name: 'WsMarkRead',
    permissions: RW_WS,
    routeKey: 'markRead',
    handler: 'functions/ws/mark-read.ts',
    summary: 'Moves the read marker; emits `messages.read`.',
    frame: s.WsMarkRead,
    answer: s.MarkReadAck,
    returnResponse: true,
  },
  {
    name: 'WsPing',
    // Closes a connection whose token has expired (SPEC §6).
    permissions: [...RW, 'ws:manage'],
    routeKey: 'ping',
    handler: 'functions/ws/ping.ts',
    summary: 'Keepalive under the 10-minute idle timeout; answers `{type:"pong"}`.',
    frame: s.WsPing,
    answer: s.Pong,
    returnResponse: true,
  },
] as const satisfies readonly WsRoute[];

/**
 * Queue consumers: functions driven by an SQS queue rather than an API
 * route. The CDK stack creates the queue, its dead-letter queue and the
 * event source; the local stack runs the same handler from a local queue.
 */
export interface QueueRoute {
  readonly name: string;
  readonly handler: string;
  readonly summary: string;
  readonly permissions: readonly Permission[];
  /** The queue it consumes: the fan-out FIFO queue (default), or the governance job queue (SPEC §10). */
  readonly queue?: 'fanout' | 'governance';
}

export const queueRoutes = [
  {
    name: 'FanOut',
    handler: 'functions/queue/fan-out.ts',
    summary: 'Delivers events of chats above FANOUT_INLINE_MAX participants, in order per chat (SQS FIFO group = chat).',
    // Delivers (ws:manage), forgets gone connections (table:write) and publishes offline notifications (events:put).
    permissions: [...RW, 'ws:manage', 'events:put'],
  },
  {
    name: 'Governance',
    handler: 'functions/queue/governance.ts',
    summary: 'Erasure and export jobs (SPEC §10), one user at a time (SQS FIFO group = user); an erasure resumes from its checkpoint and continues in a new job when time runs short.',
    // Erases (table, bucket objects), closes connections and sends events (ws:manage), audits (events:put),
    // writes export documents (bucket:write), continues long erasures (jobs:send) and deletes the erased
    // user's SNS endpoints (push:unregister).
    permissions: [...RW, 'ws:manage', 'queue:send', 'events:put', 'bucket:read', 'bucket:write', 'jobs:send', 'push:unregister'],
    queue: 'governance',
  },
] as const satisfies readonly QueueRoute[];

/**
 * Scheduled functions: driven by an EventBridge schedule rather than a
 * route. The CDK stack creates the function and the rule; the local stack
 * does not run them (tests call the handler).
 */
export interface ScheduledRoute {
  readonly name: string;
  readonly handler: string;
  readonly summary: string;
  /** EventBridge schedule expression. */
  readonly schedule: string;
  readonly permissions: readonly Permission[];
}

export const scheduledRoutes = [
  {
    name: 'ReportSla',
    handler: 'functions/scheduled/report-sla.ts',
    summary: 'Publishes the age of the oldest open report (`OldestOpenReportAgeSeconds`); the `ReportSla` alarm fires past `REPORT_SLA_HOURS` (SPEC §9).',
    schedule: 'rate(5 minutes)',
    permissions: ['table:read'],
  },
] as const satisfies readonly ScheduledRoute[];

/**
 * Event consumers: functions an EventBridge rule on the notification bus
 * invokes for events of `detailType`. The CDK stack creates them only when
 * `enabledBy` is configured (`push`: SNS platform applications); the local
 * stack's bus runs them for every matching event.
 */
export interface EventRoute {
  readonly name: string;
  readonly handler: string;
  readonly summary: string;
  readonly detailType: string;
  readonly enabledBy: 'push';
  readonly permissions: readonly Permission[];
}

export const eventRoutes = [
  {
    name: 'Push',
    handler: 'functions/events/push.ts',
    summary: 'Sends each chat.message.offline notification as an SNS mobile push to the recipient\'s devices (SPEC §8).',
    detailType: 'chat.message.offline',
    enabledBy: 'push',
    // Reads devices and unread counts, records endpoints and removes dead devices (table:write), talks to SNS (push:send).
    permissions: [...RW, 'push:send'],
  },
] as const satisfies readonly EventRoute[];

export type HttpRouteName = (typeof httpRoutes)[number]['name'];
export type WsRouteKey = (typeof wsRoutes)[number]['routeKey'];

/** The HTTP route entry by name; throws at import time if a handler names a route that does not exist. */
export function httpRoute<N extends HttpRouteName>(name: N): Extract<(typeof httpRoutes)[number], { name: N }> {
  const route = httpRoutes.find((r) => r.name === name);
  if (!route) throw new Error(`No HTTP route named ${name}`);
  return route as Extract<(typeof httpRoutes)[number], { name: N }>;
}

export function wsRoute<K extends WsRouteKey>(routeKey: K): Extract<(typeof wsRoutes)[number], { routeKey: K }> {
  const route = wsRoutes.find((r) => r.routeKey === routeKey);
  if (!route) throw new Error(`No WebSocket route ${routeKey}`);
  return route as Extract<(typeof wsRoutes)[number], { routeKey: K }>;
}

/** `{chatId}` → `:chatId`-free regex with named groups, used by the local gateway and tests. */
export function pathPattern(path: string): RegExp {
  const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}/g, (_m, name: string) => `(?<${name}>[^/]+)`);
  return new RegExp(`^${source}$`);
}
