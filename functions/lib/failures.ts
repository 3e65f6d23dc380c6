/**
 * The one failure reporter of every API function: HTTP routes, WebSocket
 * actions (and `$default`) and `$connect`.
 *
 * Handlers and the domain only throw. {@link answerFailures} is the middy
 * middleware each shared stack (`http.ts`, `ws.ts`) puts inside the tracer,
 * logger and metrics middlewares: it reports the error once
 * ({@link reportFailure}) and answers it the way its API does (a problem, an
 * `error` frame, a refused upgrade). The tracer middleware still sees the
 * error afterwards and records it as a fault when {@link isFault} says so.
 */
import type { MiddlewareObj } from '@middy/core';
import type { AppError } from '../domain/errors';
import { logger } from './logger';
import { count } from './metrics';
import { toAppError } from './problem';

/**
 * Any thrown value → the `AppError` to answer with; a 5xx is logged with its
 * stack (the answer itself stays generic), a `rate_limited` refusal counted
 * (`RateLimited` metric).
 */
export function reportFailure(error: unknown): AppError {
  const e = toAppError(error);
  if (e.status >= 500) logger.error('request failed', { error: error as Error });
  if (e.code === 'rate_limited') count('RateLimited');
  return e;
}

/** What the tracer records as a fault: 5xx only (a 404 or 429 is an answer, not a failure of the service). */
export const isFault = (error: unknown): boolean => toAppError(error).status >= 500;

/** Middy middleware: reports the thrown error and answers it with `answer(error, event)`. */
export function answerFailures<TEvent, TResult>(answer: (error: AppError, event: TEvent) => TResult): MiddlewareObj<TEvent, TResult> {
  return {
    onError: async (request) => {
      request.response = answer(reportFailure(request.error), request.event);
    },
  };
}
