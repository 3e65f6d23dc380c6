/**
 * The route table: the single source of truth for the HTTP and WebSocket
 * surface (SPEC §4, §6).
 *
 * - `lib/chat-stack.ts` creates one Lambda function and one API Gateway route
 *   per entry (HTTP API routes and WebSocket API routes).
 * - `local/gateway.ts` serves exactly these routes with the same handlers.
 * - Handlers pass their entry to `httpHandler()` / `wsHandler()`, which
 *   validate requests with the schemas listed here and enforce `auth`/`roles`.
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
export type Permission = 'table:read' | 'table:write' | 'ws:manage' | 'bucket:read' | 'bucket:write' | 'events:put' | 'queue:send';

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
  readonly body?: z.ZodType;
  readonly permissions: readonly Permission[];
  /** Success status and body schema. */
  readonly response: { readonly status: number; readonly body?: z.ZodType };
  /**
   * Files (paths from the repository root) the handler reads at run time:
   * the CDK stack copies each next to the function's bundle, under its base
   * name; the local stack reads them where they are.
   */
  readonly assets?: readonly string[];
}

export interface WsRoute {
  readonly name: string;
  /** `$connect`, `$disconnect`, `$default` or an `action` value. */
  readonly routeKey: string;
  readonly handler: string;
  readonly summary: string;
  /** Validates the whole frame (including `action`). */
  readonly frame?: z.ZodType;
  readonly permissions: readonly Permission[];
  /** Whether the handler's return value is sent back to the caller (a two-way route, `ack`/`error` frames). */
  readonly returnResponse: boolean;
}

const page = <K extends string, T extends z.ZodType>(key: K, item: T) =>
  z.object({ [key]: z.array(item), nextCursor: z.string().nullable() } as { [P in K]: z.ZodArray<T> } & { nextCursor: z.ZodNullable<z.ZodString> });
const one = <K extends string, T extends z.ZodType>(key: K, item: T) => z.object({ [key]: item } as { [P in K]: T });

const RW = ['table:read', 'table:write'] as const;
/** Routes that emit events post to `@connections`, or hand large chats' events to the fan-out queue. */
const RW_WS = [...RW, 'ws:manage', 'queue:send'] as const;
/**
 * Routes that send messages also publish offline notifications to
 * EventBridge (SPEC §5) and use attachments: HeadObject and the copy from
 * `pending/` read the bucket; the copy and the pending cleanup write it.
 */
const SEND = [...RW_WS, 'events:put', 'bucket:read', 'bucket:write'] as const;
/** Routes that answer messages sign attachment download URLs, which needs read access to the bucket. */
const READ_MESSAGES = [...RW, 'bucket:read'] as const;

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
    response: { status: 200, body: z.object({ status: z.enum(['ok', 'degraded']), timestamp: s.IsoTime, version: z.string(), checks: z.record(z.string(), z.string()).optional() }) },
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
    response: { status: 200 },
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
    response: { status: 200 },
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
    response: { status: 200 },
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
    response: { status: 200 },
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
    permissions: RW,
    method: 'PUT',
    path: '/v1/users/{userId}',
    handler: 'functions/http/put-user.ts',
    auth: 'user',
    roles: ['admin'],
    access: 'admin',
    summary: 'Provision or update a user in the directory.',
    params: s.UserParams,
    body: s.PutUserBody,
    response: { status: 200, body: one('user', s.User) },
  },
  {
    name: 'GetUser',
    permissions: RW,
    method: 'GET',
    path: '/v1/users/{userId}',
    handler: 'functions/http/get-user.ts',
    auth: 'user',
    access: 'user',
    summary: 'Public profile with presence (`online`, `lastSeenAt`).',
    params: s.UserParams,
    response: { status: 200, body: one('user', s.User) },
  },
  {
    name: 'CreateChat',
    permissions: RW_WS,
    method: 'POST',
    path: '/v1/chats',
    handler: 'functions/http/create-chat.ts',
    auth: 'user',
    access: 'user',
    summary: 'Create a direct chat (idempotent per pair: 200 with the existing chat, 201 when created) or a group chat.',
    body: s.CreateChatBody,
    response: { status: 201, body: one('chat', s.Chat) },
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
  },
  {
    name: 'SendMessage',
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
  },
  {
    name: 'EditMessage',
    method: 'PATCH',
    path: '/v1/chats/{chatId}/messages/{messageId}',
    handler: 'functions/http/edit-message.ts',
    auth: 'user',
    access: 'author, within the edit window',
    summary: 'Edit a message (15 min window; later 403 `edit_window_expired`); emits `message.edited`.',
    permissions: [...RW_WS, 'bucket:read'],
    params: s.MessageParams,
    body: s.EditMessageBody,
    response: { status: 200, body: one('message', s.Message) },
  },
  {
    name: 'DeleteMessage',
    method: 'DELETE',
    path: '/v1/chats/{chatId}/messages/{messageId}',
    handler: 'functions/http/delete-message.ts',
    auth: 'user',
    access: 'author, group owner/admin, admin',
    summary: 'Soft delete (idempotent); emits `message.deleted`.',
    permissions: [...RW_WS, 'bucket:write'],
    params: s.MessageParams,
    response: { status: 200, body: one('message', s.Message) },
  },
  {
    name: 'AddReaction',
    method: 'PUT',
    path: '/v1/chats/{chatId}/messages/{messageId}/reactions/{reaction}',
    handler: 'functions/http/add-reaction.ts',
    auth: 'user',
    access: 'participant',
    summary: 'Add the caller\'s reaction (`like`, `dislike` or one emoji); emits `reaction.updated`.',
    permissions: [...RW_WS, 'bucket:read'],
    params: s.ReactionParams,
    response: { status: 200, body: one('message', s.Message) },
  },
  {
    name: 'RemoveReaction',
    method: 'DELETE',
    path: '/v1/chats/{chatId}/messages/{messageId}/reactions/{reaction}',
    handler: 'functions/http/remove-reaction.ts',
    auth: 'user',
    access: 'participant',
    summary: 'Remove the caller\'s reaction; emits `reaction.updated`.',
    permissions: [...RW_WS, 'bucket:read'],
    params: s.ReactionParams,
    response: { status: 200, body: one('message', s.Message) },
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
  },
  {
    name: 'GetStats',
    permissions: RW,
    method: 'GET',
    path: '/v1/stats',
    handler: 'functions/http/get-stats.ts',
    auth: 'user',
    access: 'user',
    summary: '`{chats, unreadChats, unreadMessages}` over the caller\'s non-archived chats.',
    response: { status: 200, body: z.object({ chats: z.number().int(), unreadChats: z.number().int(), unreadMessages: z.number().int() }) },
  },
  {
    name: 'UpdateChat',
    method: 'PATCH',
    path: '/v1/chats/{chatId}',
    handler: 'functions/http/update-chat.ts',
    auth: 'user',
    access: 'group owner/admin, platform admin; for support chats the assignee, support agents, admins (also `status`)',
    summary: 'Change title, metadata or (support chats) status; emits `chat.updated`.',
    permissions: RW_WS,
    params: s.ChatParams,
    body: s.UpdateChatBody,
    response: { status: 200, body: one('chat', s.Chat) },
  },
  {
    name: 'ArchiveChat',
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
    method: 'POST',
    path: '/v1/chats/{chatId}/participants',
    handler: 'functions/http/add-participants.ts',
    auth: 'user',
    access: 'group owner/admin, platform admin',
    summary: 'Add users to a group (≤ 1,000 participants); emits `participants.added`.',
    permissions: RW_WS,
    params: s.ChatParams,
    body: s.AddParticipantsBody,
    response: { status: 200, body: one('chat', s.Chat) },
  },
  {
    name: 'RemoveParticipant',
    method: 'DELETE',
    path: '/v1/chats/{chatId}/participants/{userId}',
    handler: 'functions/http/remove-participant.ts',
    auth: 'user',
    access: 'group owner/admin, platform admin, or self (leave)',
    summary: 'Remove a participant or leave; emits `participant.removed` (to the removed user too).',
    permissions: RW_WS,
    params: s.ParticipantParams,
    response: { status: 204 },
  },
  {
    name: 'AssignChat',
    method: 'PUT',
    path: '/v1/chats/{chatId}/assignee',
    handler: 'functions/http/assign-chat.ts',
    auth: 'user',
    roles: ['support', 'admin'],
    access: 'admin; a support agent may claim an unassigned chat',
    summary: 'Assign a support chat; the agent joins as `agent`; emits `chat.updated`.',
    permissions: RW_WS,
    params: s.ChatParams,
    body: s.AssignBody,
    response: { status: 200, body: one('chat', s.Chat) },
  },
  {
    name: 'OpenSupportChat',
    method: 'POST',
    path: '/v1/chats/support',
    handler: 'functions/http/open-support-chat.ts',
    auth: 'user',
    access: 'user',
    summary: 'The caller\'s open support chat (200) or a new one (201) assigned to the least-loaded agent.',
    permissions: [...RW_WS, 'events:put'],
    body: s.OpenSupportBody,
    response: { status: 201, body: one('chat', s.Chat) },
  },
  {
    name: 'SendToUser',
    method: 'POST',
    path: '/v1/messages',
    handler: 'functions/http/send-to-user.ts',
    auth: 'user',
    access: 'user',
    summary: 'Find or create the direct chat with `to`, then send; answers `{message, chat}`.',
    permissions: SEND,
    body: s.SendToUserBody,
    response: { status: 201, body: z.object({ message: s.Message, chat: s.Chat }) },
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
] as const satisfies readonly HttpRoute[];

export const wsRoutes = [
  {
    name: 'WsConnect',
    permissions: RW,
    routeKey: '$connect',
    handler: 'functions/ws/connect.ts',
    summary: 'Authenticates `?token=`, records the connection; a bad token refuses the upgrade with 401.',
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
    permissions: [],
    routeKey: '$default',
    handler: 'functions/ws/default.ts',
    summary: 'Unknown actions and unparseable frames: answers an `error` frame and keeps the connection.',
    returnResponse: true,
  },
  {
    name: 'WsSendMessage',
    permissions: SEND,
    routeKey: 'sendMessage',
    handler: 'functions/ws/send-message.ts',
    summary: 'Send to `chatId` (or to a user with `to`); acks with the stored `message`.',
    frame: s.WsSendMessage,
    returnResponse: true,
  },
  {
    name: 'WsTyping',
    permissions: RW_WS,
    routeKey: 'typing',
    handler: 'functions/ws/typing.ts',
    summary: 'Relays `typing` to the other participants\' connections; never stored.',
    frame: s.WsTyping,
    returnResponse: true,
  },
  {
    name: 'WsMarkRead',
    permissions: RW_WS,
    routeKey: 'markRead',
    handler: 'functions/ws/mark-read.ts',
    summary: 'Moves the read marker; emits `messages.read`.',
    frame: s.WsMarkRead,
    returnResponse: true,
  },
  {
    name: 'WsPing',
    permissions: RW,
    routeKey: 'ping',
    handler: 'functions/ws/ping.ts',
    summary: 'Keepalive under the 10-minute idle timeout; answers `{type:"pong"}`.',
    frame: s.WsPing,
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
}

export const queueRoutes = [
  {
    name: 'FanOut',
    handler: 'functions/queue/fan-out.ts',
    summary: 'Delivers events of chats above FANOUT_INLINE_MAX participants, in order per chat (SQS FIFO group = chat).',
    // Delivers (ws:manage), forgets gone connections (table:write) and publishes offline notifications (events:put).
    permissions: [...RW, 'ws:manage', 'events:put'],
  },
] as const satisfies readonly QueueRoute[];

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
