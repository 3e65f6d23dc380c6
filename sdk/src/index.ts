/**
 * `@serverless-chat/client`: the typed client SDK of the serverless chat API.
 *
 * - {@link ChatClient}: every HTTP route as a typed method (generated from the
 *   server's route table), idempotent retries, attachment uploads.
 * - {@link ChatSocket}: the WebSocket with reconnect, keepalive, catch-up and
 *   de-duplication, typed events, throttled typing.
 *
 * See `sdk/README.md`.
 */
export { ChatClient, newClientMessageId, type ChatClientOptions, type PendingAttachment, type TokenSource, type UploadBody } from './http.js';
export {
  ChatSocket,
  type CaughtUpEvent,
  type CatchUpSource,
  type ChatSocketOptions,
  type SocketEventMap,
  type SocketState,
  type StatusEvent,
  type WebSocketConstructor,
  type WebSocketLike,
} from './socket.js';
export { ChatApiError, ChatSocketError } from './errors.js';
export * from './generated.js';

import type { Message } from './generated.js';
/** A stored attachment as messages carry it (with a presigned download `url`). */
export type Attachment = Message['attachments'][number];
