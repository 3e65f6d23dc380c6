/**
 * RFC 9457 problem details (SPEC §3): `{type, title, status, detail, code}`
 * with content type `application/problem+json`.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { AppError, ServiceUnavailableError, statusTitle } from './errors';

/** Problem `type`: a URN per SPEC error code (no dereferenceable docs host is assumed). */
export const problemType = (code: string) => `urn:problem:chat:${code}`;

/**
 * Any thrown value → an `AppError`. Errors from middy middlewares (they carry
 * `statusCode` and `expose`) keep their 4xx status; everything else becomes a
 * 500 whose message is never shown to the client.
 */
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

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isRetryable(error)) return new ServiceUnavailableError();
  const e = error as { statusCode?: number; expose?: boolean; message?: string };
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 && e.expose) {
    return new AppError(e.statusCode, e.statusCode === 413 ? 'payload_too_large' : 'bad_request', e.message ?? statusTitle(e.statusCode));
  }
  return new AppError(500, 'internal', 'An unexpected error occurred.');
}

export function problemBody(error: AppError, instance?: string) {
  return {
    type: problemType(error.code),
    title: statusTitle(error.status),
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(instance ? { instance } : {}),
    ...error.extensions,
  };
}

export function problemResponse(error: AppError, instance?: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: error.status,
    headers: { 'content-type': 'application/problem+json', ...error.headers },
    body: JSON.stringify(problemBody(error, instance)),
  };
}
