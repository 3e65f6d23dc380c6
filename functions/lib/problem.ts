/**
 * How a failure looks on the wire, in one place for both APIs (SPEC §3, §6):
 *
 * - HTTP: RFC 9457 `application/problem+json`
 *   `{type, title, status, detail, code, instance?, errors?, retryAfter?}`
 *   (`Problem` in `schemas.ts`), with `Retry-After` when a retry can succeed
 *   and `WWW-Authenticate: Bearer` on 401 (RFC 6750);
 * - WebSocket: `{type:"error", requestId, code, detail, message, errors?, retryAfter?}`
 *   (`ErrorFrame` in `schemas.ts`): the same `code` and `detail`.
 *
 * Pure functions only; `failures.ts` reports failures and answers them.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type * as z from 'zod';
import { AppError, ServiceUnavailableError } from '../domain/errors';
import type { ErrorFrame, Problem } from '../schemas';

/** Problem `type`: a URN per SPEC error code (no dereferenceable docs host is assumed). */
export const problemType = (code: string) => `urn:problem:chat:${code}`;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The problem `title`: the status text of RFC 9110. */
export function statusTitle(status: number): string {
  return TITLES[status] ?? 'Error';
}

/**
 * AWS errors that mean "busy or slow, try again": DynamoDB throttling and
 * transaction conflicts that survived the SDK's retries (exponential backoff
 * with full jitter), and timeouts. They answer 503 with `Retry-After`
 * instead of a 500: nothing was half-written (every multi-item write is a
 * transaction or a single conditional item), so a retry is safe.
 */
const RETRYABLE = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  'TransactionInProgressException',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

export function isRetryable(error: unknown): boolean {
  const e = error as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (RETRYABLE.has(e?.name ?? '')) return true;
  return e?.name === 'TransactionCanceledException' && (e.CancellationReasons ?? []).some((r) => r.Code === 'ThrottlingError' || r.Code === 'TransactionConflict');
}

/**
 * Any thrown value → an `AppError`: typed errors as they are, retryable AWS
 * errors as 503, everything else as a 500 whose message is never shown.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isRetryable(error)) return new ServiceUnavailableError();
  return new AppError(500, 'internal', 'An unexpected error occurred.');
}

/** The members an HTTP problem and a WebSocket error frame share. */
function shared(error: AppError) {
  return {
    code: error.code,
    detail: error.message,
    ...(error.errors ? { errors: [...error.errors] } : {}),
    ...(error.retryAfterSeconds !== undefined ? { retryAfter: error.retryAfterSeconds } : {}),
  };
}

/** The problem body; `instance` is the request path. */
export function problemBody(error: AppError, instance?: string): z.infer<typeof Problem> {
  const { code, detail, ...rest } = shared(error);
  return { type: problemType(code), title: statusTitle(error.status), status: error.status, detail, code, ...(instance ? { instance } : {}), ...rest };
}

/** The whole HTTP answer (payload format 2.0) for a failure. */
export function problemResponse(error: AppError, instance?: string): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
  if (error.status === 401) headers['www-authenticate'] = 'Bearer';
  return { statusCode: error.status, headers, body: JSON.stringify(problemBody(error, instance)) };
}

/** A WebSocket `requestId` as clients send it. */
export type RequestId = string | number | undefined;

/** The WebSocket `error` frame for a failure. */
export function errorFrameBody(requestId: RequestId, error: AppError): z.infer<typeof ErrorFrame> {
  const body = shared(error);
  return { type: 'error', requestId, ...body, message: body.detail };
}

/** The frame as a JSON object, or undefined when it is not one. */
export function parseFrame(body: string | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body ?? '');
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The frame's `requestId` when it can be echoed (a string, or a number JSON can carry). */
export function requestIdOf(frame: Record<string, unknown> | undefined): RequestId {
  const id = frame?.requestId;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : undefined;
}
