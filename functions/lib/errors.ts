/**
 * Typed errors with an HTTP status and a SPEC §3 error `code`.
 *
 * Domain code throws these; the one error middleware (`problem.ts`) turns
 * them into RFC 9457 `application/problem+json` on HTTP and into
 * `{type:"error", code, message}` frames on WebSocket. Anything that is not an
 * `AppError` becomes a generic 500 `internal` whose body never carries the
 * original message or stack.
 */

/** SPEC §3: the closed set of error codes clients switch on. */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'edit_window_expired'
  | 'attachment_not_uploaded'
  | 'internal';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusTitle(status: number): string {
  return TITLES[status] ?? 'Error';
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    /** Extra members for the problem body (e.g. `errors` for validation). */
    readonly extensions?: Record<string, unknown>,
    /** Extra response headers (e.g. `Retry-After`). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, extensions?: Record<string, unknown>) {
    super(400, 'bad_request', message, extensions);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'A valid bearer token is required.') {
    super(401, 'unauthorized', message, undefined, { 'www-authenticate': 'Bearer' });
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You may not do this.') {
    super(403, 'forbidden', message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found.') {
    super(404, 'not_found', message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message: string) {
    super(413, 'payload_too_large', message);
  }
}

/** SPEC §5: 429 `rate_limited` with `Retry-After` (seconds until the window resets). */
export class RateLimitedError extends AppError {
  constructor(
    readonly retryAfterSeconds: number,
    what = 'messages',
  ) {
    super(429, 'rate_limited', `Too many ${what}; retry in ${retryAfterSeconds} s.`, { retryAfter: retryAfterSeconds }, { 'retry-after': String(retryAfterSeconds) });
  }
}

/** SPEC §5: 403 `edit_window_expired` once the edit window has passed. */
export class EditWindowExpiredError extends AppError {
  constructor(windowSeconds: number) {
    super(403, 'edit_window_expired', `Messages can be edited for ${Math.round(windowSeconds / 60)} minutes after sending.`);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message = 'The service is temporarily unavailable; retry later.') {
    // SPEC §3 has no dedicated code for 503; `internal` with a Retry-After tells clients to retry.
    super(503, 'internal', message, undefined, { 'retry-after': '1' });
  }
}

/** The one 404 for chats: used whether the chat is missing or the caller is not in it (SPEC §3, no existence leak). */
export const chatNotFound = () => new NotFoundError('Chat not found.');
