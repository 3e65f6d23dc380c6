/**
 * `@serverless-chat/client`: the typed client SDK of the serverless chat API.
 *
 * - {@link ChatClient}: every HTTP route as a typed method (generated from the
 *   server's route table), idempotent retries, attachment uploads.
 * - {@link ChatSocket}: the WebSocket with reconnect, keepalive, sync
 *   (`GET /v1/sync`, cursor in a pluggable store), idempotent events, seq
 *   order with gap filling, ordered sends, typed events, throttled typing.
 *
 * See `sdk/README.md`.
 */
export { ChatClient, newClientMessageId, type ChatClientOptions, type PendingAttachment, type TokenSource, type UploadBody } from './http.js';
export {
  ChatSocket,
  type CaughtUpEvent,
  type CatchUpSource,
  type ChatSource,
  type ChatSocketOptions,
  type SendSource,
  type SocketApi,
  type SocketEventMap,
  type SocketState,
  type StatusEvent,
  type SyncExpiredEvent,
  type SyncedSocketEvent,
  type WebSocketConstructor,
  type WebSocketLike,
} from './socket.js';
export { LocalStorageCursorStore, MemoryCursorStore, type StorageLike, type SyncCursorStore } from './cursor-store.js';
export { EventLedger } from './freshness.js';
export { SeqOrderer, laterMessage, type GapSource, type OrderedMessageEvent } from './ordering.js';
export { KeyedQueue } from './send-queue.js';
export { ChatStore, preview, type MessagePreview, type StoredChat } from './store.js';
export { runSync, type SyncPage, type SyncResult, type SyncSource, type SyncedEvent } from './sync.js';
export { ChatApiError, ChatSocketError } from './errors.js';
export * from './generated.js';

import type { Message } from './generated.js';
/** A stored attachment as messages carry it (with a presigned download `url`). */
export type Attachment = Message['attachments'][number];
