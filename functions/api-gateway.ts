/**
 * API Gateway facts, written once: the CORS configuration of the HTTP API
 * and the quotas of both APIs. The CDK stack configures API Gateway with them
 * (`lib/chat-stack.ts`, `lib/chat-function.ts`, `lib/context.ts`), the local
 * gateway (`local/gateway.ts`) enforces them, and the client SDK gets the
 * WebSocket ones generated (`WS_LIMITS` in `sdk/src/generated.ts`).
 *
 * Quotas are AWS's documented, non-adjustable ones: "Amazon API Gateway
 * quotas" (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html),
 * HTTP API and WebSocket API tables.
 */
import { httpRoutes } from './routes';

// ------------------------------------------------------------------ HTTP API

/** Maximum request payload: 10 MB (answered 413 by API Gateway). Lambda's own invoke payload limit is 6 MB. */
export const HTTP_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Maximum integration timeout: 30 s, then API Gateway answers 503. */
export const HTTP_INTEGRATION_TIMEOUT_MS = 30_000;

/** CORS of the HTTP API; API Gateway answers preflights itself and ignores CORS headers an integration returns. */
export const CORS = {
  /** Headers browsers may send cross-origin (SPEC §2 bearer tokens, JSON bodies, idempotent retries). */
  allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
  /** The methods of the route table. */
  allowMethods: [...new Set(httpRoutes.map((route) => route.method))],
  /** `Retry-After` comes with 409, 429 and 503 (SPEC §5); browsers hide it unless exposed. */
  exposeHeaders: ['retry-after'],
  /** How long browsers may cache a preflight answer. */
  maxAgeSeconds: 86_400,
} as const;

/** Stage throttling the stack deploys unless the `httpRateLimit`/`httpBurstLimit` context says otherwise (requests per second, burst). The local gateway does not throttle. */
export const HTTP_THROTTLE_DEFAULT = { rateLimit: 100, burstLimit: 200 } as const;

// ------------------------------------------------------------------ WebSocket API

/** Maximum integration timeout: 29 s. */
export const WS_INTEGRATION_TIMEOUT_MS = 29_000;
/**
 * Maximum message payload, 128 KB (131,072 bytes), whether it arrives in one
 * frame or as a fragmented message (the sum of its frames); also the
 * `@connections` POST limit. Source: "Message payload size" in
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
 */
export const WS_MAX_MESSAGE_BYTES = 128 * 1024;
/**
 * Maximum frame payload, 32 KB (32,768 bytes). A client must send a message
 * above 32 KB as a fragmented message whose frames are each at most this
 * size; on AWS a larger frame closes the connection with 1009 (browsers never
 * fragment, so it bounds what a browser can send). Source: "WebSocket frame
 * size" and its footnote in the table above.
 */
export const WS_MAX_FRAME_BYTES = 32 * 1024;
/** Idle connection timeout: 10 minutes without a frame either way. */
export const WS_IDLE_TIMEOUT_MS = 10 * 60 * 1000;
/** Maximum connection duration: 2 hours. */
export const WS_MAX_CONNECTION_MS = 2 * 60 * 60 * 1000;
/** Stage throttling the stack deploys unless the `wsRateLimit`/`wsBurstLimit` context says otherwise (messages per second, burst). */
export const WS_THROTTLE_DEFAULT = { rateLimit: 100, burstLimit: 200 } as const;
