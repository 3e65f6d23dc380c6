/**
 * Errors the SDK throws. Every HTTP failure is a {@link ChatApiError} carrying
 * the server's problem+json fields (SPEC §3: `type`, `title`, `status`,
 * `detail`, `code`); every failed WebSocket action is a {@link ChatSocketError}
 * carrying the `error` frame's `code`.
 */
import type { Problem } from './generated.js';

/** A non-2xx HTTP answer. `code` is the machine-readable reason (`not_found`, `rate_limited`, …). */
export class ChatApiError extends Error {
  override readonly name = 'ChatApiError';
  /** HTTP status (0 when the request never got an answer). */
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail?: string;
  /** Seconds to wait before retrying, from `Retry-After` (429, 503). */
  readonly retryAfterSeconds?: number;
  /** The whole problem+json body, including extensions (e.g. validation `errors`). */
  readonly problem?: Problem & Record<string, unknown>;

  constructor(init: { status: number; code: string; title: string; detail?: string; retryAfterSeconds?: number; problem?: Problem & Record<string, unknown>; cause?: unknown }) {
    super(init.detail ? `${init.title}: ${init.detail}` : init.title, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.problem = init.problem;
  }

  /** Builds the error from a failed `Response`, whatever its body (problem+json, text, nothing). */
  static async fromResponse(response: Response): Promise<ChatApiError> {
    const retryAfter = Number(response.headers.get('retry-after'));
    const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined;
    let problem: (Problem & Record<string, unknown>) | undefined;
    try {
      const body = (await response.json()) as unknown;
      if (body && typeof body === 'object' && typeof (body as Problem).code === 'string') problem = body as Problem & Record<string, unknown>;
    } catch {
      // not JSON (e.g. a proxy's HTML error page): fall back to the status line
    }
    return new ChatApiError({
      status: response.status,
      code: problem?.code ?? `http_${response.status}`,
      title: problem?.title ?? (response.statusText || `HTTP ${response.status}`),
      detail: problem?.detail,
      retryAfterSeconds,
      problem,
    });
  }
}

/** A WebSocket action answered with an `error` frame, timed out, or lost with its connection. */
export class ChatSocketError extends Error {
  override readonly name = 'ChatSocketError';
  /**
   * The server's error code (`bad_request`, `rate_limited`, `not_found`, …),
   * or one of the SDK's own: `timeout` (no answer in time), `not_connected`
   * (closed by `close()`), `payload_too_large` (frame over API Gateway's 32 KB).
   */
  readonly code: string;
  /** Seconds to wait before retrying, when the server said so (`rate_limited`). */
  readonly retryAfterSeconds?: number;

  constructor(code: string, message: string, retryAfterSeconds?: number) {
    super(message);
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
