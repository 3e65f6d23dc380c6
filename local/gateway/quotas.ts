/**
 * API Gateway's documented quotas and the HTTP API's CORS configuration, as
 * the local gateway enforces them. Each limit names its source; the
 * WebSocket ones are in
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
 */

/** HTTP API: maximum request payload, 10 MB. (Lambda's own invoke payload limit is 6 MB.) */
export const HTTP_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** HTTP API: maximum integration timeout, 30 s → 503 Service Unavailable. */
export const HTTP_INTEGRATION_TIMEOUT_MS = 30_000;
/** WebSocket API: maximum integration timeout, 29 s. */
export const WS_INTEGRATION_TIMEOUT_MS = 29_000;
/**
 * WebSocket API: maximum message payload, 128 KB (131,072 bytes), whether it
 * arrives in one frame or as a fragmented message (the sum of its frames);
 * also the `@connections` POST limit ("Message payload size").
 */
export const WS_MAX_MESSAGE_BYTES = 128 * 1024;
/**
 * WebSocket API: maximum frame payload, 32 KB (32,768 bytes). A client must
 * send a message above 32 KB as a fragmented message whose frames are each at
 * most this size; on AWS a larger frame closes the connection with 1009
 * ("WebSocket frame size" and its footnote).
 */
export const WS_MAX_FRAME_BYTES = 32 * 1024;
/** WebSocket API: idle connection timeout, 10 minutes. */
export const WS_IDLE_TIMEOUT_MS = 10 * 60 * 1000;
/** WebSocket API: maximum connection duration, 2 hours. */
export const WS_MAX_CONNECTION_MS = 2 * 60 * 60 * 1000;

/** The HTTP API's CORS configuration (API Gateway answers preflights itself when it has one). */
export interface CorsConfig {
  allowOrigin: string;
  allowHeaders: string[];
  allowMethods: string[];
  exposeHeaders: string[];
  maxAgeSeconds: number;
}

export const DEFAULT_CORS: CorsConfig = {
  allowOrigin: '*',
  allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
  allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  exposeHeaders: [],
  maxAgeSeconds: 86400,
};
