/**
 * The Powertools tracer shared by every function (AWS X-Ray, on top of
 * Lambda active tracing, which the stack turns on). Created once per
 * container at module scope; each invocation gets a `## index.handler`
 * subsegment with the `ColdStart` and `Service` annotations, and every AWS
 * SDK call made through a captured client gets its own subsegment
 * (operation, resource name, status, retries; never the request or response
 * payload).
 *
 * Off outside Lambda: Powertools disables tracing when `AWS_EXECUTION_ENV`
 * is unset, and the local stack, the tests and the bench also set
 * `POWERTOOLS_TRACE_ENABLED=false`. Disabled, every call below is a no-op
 * and `captureAWSv3Client` returns the client unchanged.
 *
 * On Lambda the package (and `aws-xray-sdk-core`, ~125 KB minified) comes
 * from the Powertools layer, not the bundle (`lib/chat-function.ts`).
 *
 * Never annotate or attach tokens, message content or other user text:
 * annotations are indexed and visible to anyone who can read the traces.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';

export const tracer = new Tracer({ serviceName: 'chat' });

/**
 * Middy middleware opening and closing the handler subsegment. Use it first
 * (outermost), so the subsegment spans the other middlewares too.
 * `captureResponse: false` because responses carry message content.
 *
 * `isFault(error)` decides which errors reaching `onError` are recorded on
 * the subsegment (message and stack; X-Ray then counts it as a fault). The
 * HTTP stack passes "5xx only": a 404 or 429 is an answer, not a failure,
 * and must not show up in the service map's fault rate.
 */
export function withTracing(isFault: (error: unknown) => boolean = () => true): MiddlewareObj {
  const inner = captureLambdaHandler(tracer, { captureResponse: false }) as Required<MiddlewareObj>;
  return {
    before: inner.before,
    after: inner.after,
    // Without captureResponse, `after` only closes the subsegment: the right ending for a handled error.
    onError: (request) => (isFault(request.error) ? inner.onError(request) : inner.after(request)),
  };
}

/**
 * Wraps an AWS SDK v3 client so each call is traced as a subsegment; returns
 * the same client (a no-op when tracing is off).
 */
export function traced<T>(client: T): T {
  return tracer.captureAWSv3Client(client);
}

/** X-Ray annotation keys allow letters, digits and `_` only; values are indexed for filter expressions. */
export interface TraceAnnotations {
  /** Route name from `functions/routes.ts`, e.g. `SendMessage`. */
  route?: string;
  /** `requestContext.routeKey`, e.g. `POST /v1/chats/{chatId}/messages` or `sendMessage`. */
  routeKey?: string;
  /** A chat id the request names (already validated); never anything a user wrote. */
  chatId?: string;
}

/** Annotates the current handler subsegment (no-op when tracing is off). */
export function annotate(annotations: TraceAnnotations): void {
  if (!tracer.isTracingEnabled()) return;
  for (const [key, value] of Object.entries(annotations)) {
    if (typeof value === 'string' && value !== '') tracer.putAnnotation(key, value);
  }
}
