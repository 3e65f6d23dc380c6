/**
 * The domain's typed errors: each has the SPEC §3 error `code` clients switch
 * on and the HTTP status it answers.
 *
 * Domain rules throw these; the shared stacks turn them into RFC 9457
 * `application/problem+json` on HTTP and `{type:"error", code, detail, …}`
 * frames on WebSocket (`functions/lib/problem.ts`), so protocol details
 * (headers, frame shapes) never reach the domain. Anything thrown that is not
 * an `AppError` becomes a generic 500 `internal` whose body never carries the
 * original message or stack.
 */
import type * as z from 'zod';
import type * as s from '../schemas';

/** SPEC §3: the closed set of error codes clients switch on (`ErrorCode` in `schemas.ts`). */
export type ErrorCode = z.infer<typeof s.ErrorCode>;

/** One failed input check: `path` is like `body.participantIds[0]` or `frame.chatId`. */
export type FieldError = z.infer<typeof s.FieldError>;

/** What an error may add to its answer besides code and message. */
export interface ErrorDetails {
  /**
   * Seconds until a retry can succeed: answered as `Retry-After` on HTTP and
   * as `retryAfter` in the problem body and the WebSocket error frame.
   */
  retryAfterSeconds?: number;
  /** The input checks that failed (validation errors, at most 20). */
  errors?: FieldError[];
}

export class AppError extends Error {
  readonly retryAfterSeconds?: number;
  readonly errors?: readonly FieldError[];

  constructor(
    /** HTTP status (4xx or 5xx). */
    readonly status: number,
    readonly code: ErrorCode,
    /** Shown to the client as `detail` (and `message` on WebSocket): say what to fix. */
    message: string,
    details: ErrorDetails = {},
  ) {
    super(message);
    this.name = new.target.name;
    if (details.retryAfterSeconds !== undefined) this.retryAfterSeconds = details.retryAfterSeconds;
    if (details.errors !== undefined) this.errors = details.errors;
  }
}

/** 400 `bad_request`: the input is malformed or breaks a rule (`errors` lists failed checks). */
export class BadRequestError extends AppError {
  constructor(message: string, details?: Pick<ErrorDetails, 'errors'>) {
    super(400, 'bad_request', message, details);
  }
}

/** 401 `unauthorized`: no token, or one that does not verify. */
export class UnauthorizedError extends AppError {
  constructor(message = 'A valid bearer token is required.') {
    super(401, 'unauthorized', message);
  }
}

/** 403 `forbidden`: the caller is known but may not do this. */
export class ForbiddenError extends AppError {
  constructor(message = 'You may not do this.') {
    super(403, 'forbidden', message);
  }
}

/** 404 `not_found`. */
export class NotFoundError extends AppError {
  constructor(message = 'Not found.') {
    super(404, 'not_found', message);
  }
}

/** 409 `conflict`: the state changed meanwhile or forbids this; `retryAfterSeconds` when a retry will succeed. */
export class ConflictError extends AppError {
  constructor(message: string, details?: Pick<ErrorDetails, 'retryAfterSeconds'>) {
    super(409, 'conflict', message, details);
  }
}

/** 413 `payload_too_large`: over a size limit (an attachment, a WebSocket message). */
export class PayloadTooLargeError extends AppError {
  constructor(message: string) {
    super(413, 'payload_too_large', message);
  }
}

/** 415, code `bad_request` (SPEC §3 has no code of its own for it): a body that is not `application/json`. */
export class UnsupportedMediaTypeError extends AppError {
  constructor(message = 'Send the body as application/json.') {
    super(415, 'bad_request', message);
  }
}

/** SPEC §5: 429 `rate_limited`, retry after the window resets. */
export class RateLimitedError extends AppError {
  /** `what`: the limit, in words (`messages`, `writes`, `chat creations`, `participants added`; see `limits.ts`). */
  constructor(retryAfterSeconds: number, what = 'messages') {
    super(429, 'rate_limited', `Too many ${what}; retry in ${retryAfterSeconds} s.`, { retryAfterSeconds });
  }
}

/** SPEC §5: 403 `edit_window_expired` once the edit window has passed. */
export class EditWindowExpiredError extends AppError {
  constructor(windowSeconds: number) {
    super(403, 'edit_window_expired', `Messages can be edited for ${Math.round(windowSeconds / 60)} minutes after sending.`);
  }
}

/** SPEC §5: 400 `attachment_not_uploaded`: an attachment id that is not an uploaded, unused attachment of the sender in this chat. */
export class AttachmentNotUploadedError extends AppError {
  constructor(message: string) {
    super(400, 'attachment_not_uploaded', message);
  }
}

/**
 * Issue 13 item 15: 400 `attachment_type_mismatch`: an uploaded object's
 * first bytes are not those of its declared type (`file-signatures.ts`),
 * e.g. an HTML page or SVG uploaded as `image/png`.
 */
export class AttachmentTypeMismatchError extends AppError {
  constructor(message: string) {
    super(400, 'attachment_type_mismatch', message);
  }
}

/** SPEC §9: 403 `blocked`: one of the two users blocks the other (direct chats, `to` sends). */
export class BlockedError extends AppError {
  constructor(message = 'You cannot message this user.') {
    super(403, 'blocked', message);
  }
}

/** SPEC §9: 403 `banned` (a platform ban, every route but `/health`); 409 `banned` for adding a user banned from the group. */
export class BannedError extends AppError {
  constructor(message = 'Your account is banned.', status: 403 | 409 = 403) {
    super(status, 'banned', message);
  }
}

/** SPEC §9: 403 `chat_frozen`: sends, edits and reactions in a frozen chat (admins excepted). */
export class ChatFrozenError extends AppError {
  constructor(message = 'This chat is frozen: it can be read, but nothing can be sent, edited or reacted to.') {
    super(403, 'chat_frozen', message);
  }
}

/** SPEC §9: 400 `content_blocked`: the content contains a word the operator blocked (`BLOCKED_WORDS`). */
export class ContentBlockedError extends AppError {
  constructor(message = 'The message contains a blocked word.') {
    super(400, 'content_blocked', message);
  }
}

/** SPEC §7: 410 `sync_expired`: the cursor is older than the sync window; reload the chat list and open chats, then take a fresh cursor. */
export class SyncExpiredError extends AppError {
  constructor(windowSeconds: number) {
    super(410, 'sync_expired', `This sync cursor is older than the sync window (${Math.round(windowSeconds / 86_400)} days): reload your chats, then sync without \`since\` for a fresh cursor.`);
  }
}

/** 503: busy or briefly unavailable; nothing was changed, so a retry is safe. */
export class ServiceUnavailableError extends AppError {
  constructor(message = 'The service is temporarily unavailable; retry later.', retryAfterSeconds = 1) {
    // SPEC §3 has no dedicated code for 503; `internal` with a retry delay tells clients to retry.
    super(503, 'internal', message, { retryAfterSeconds });
  }
}

/** The one 404 for chats: used whether the chat is missing or the caller is not in it (SPEC §3, no existence leak). */
export const chatNotFound = () => new NotFoundError('Chat not found.');

/** SPEC §10: an erased user's token opens no route but `GET /v1/erasures/{id}` (401). */
export const erasedAccount = () => new UnauthorizedError('This account was erased.');
