/**
 * The Powertools tracer shared by every function (AWS X-Ray, on top of
 * Lambda active tracing, which the stack turns on). Created once per
 * container at module scope; each invocation gets a `## index.handler`
 * subsegment with the `ColdStart` and `Service` annotations, and every AWS
 * SDK call made through a captured client gets its own subsegment
 * (operation, resource name, status, retries; never the request or response
 * payload).
 *
 * Off outside Lambda (`AWS_EXECUTION_ENV` unset) or with
 * `POWERTOOLS_TRACE_ENABLED=false` (the local stack, the tests and the
 * bench's request measurements): then the Powertools tracer is not even
 * loaded and every function below is a no-op. Loading it is not free: the
 * X-Ray SDK it imports enables an `async_hooks` hook (cls-hooked) with a
 * destroy callback, which makes Node track every promise; in the local
 * stack under load that was 13-16 % of the main thread's CPU (`npm run load
 * -- --cpu-prof`), and it adds ~60 ms to a cold start. On Lambda with
 * tracing on, that is the price of the traces.
 *
 * The tracer and the X-Ray SDK (~125 KB minified, with semver and
 * cls-hooked) are bundled into chunks of their own (`lib/bundling.ts`), which
 * Node reads only when tracing is on.
 *
 * Never annotate or attach tokens, message content or other user text:
 * annotations are indexed and visible to anyone who can read the traces.
 */
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { MiddlewareObj } from '@middy/core';

/**
 * Powertools' own switches (the tracer reads them itself; mirrored here only
 * to skip the import): off outside Lambda, and when `POWERTOOLS_TRACE_ENABLED`
 * is `false` in any case (the only value the tracer treats as off).
 */
const wanted = Boolean(process.env.AWS_EXECUTION_ENV) && process.env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() !== 'false';

const powertools = wanted
  ? await Promise.all([import('@aws-lambda-powertools/tracer'), import('@aws-lambda-powertools/tracer/middleware')]).then(([core, middleware]) => ({
      Tracer: core.Tracer,
      captureLambdaHandler: middleware.captureLambdaHandler,
    }))
  : undefined;

/** The Powertools tracer, or undefined when tracing is off (not loaded). Powertools may still turn itself off (e.g. under SAM local). */
export const tracer: Tracer | undefined = powertools ? new powertools.Tracer({ serviceName: 'chat' }) : undefined;
const active = tracer?.isTracingEnabled() ? tracer : undefined;

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
  if (!active || !powertools) return { before: () => undefined };
  const inner = powertools.captureLambdaHandler(active, { captureResponse: false }) as Required<MiddlewareObj>;
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
  return active ? active.captureAWSv3Client(client) : client;
}

/** Records an error on the current subsegment: for failures a handler answers itself, which never reach the middleware's onError. */
export function addErrorAsMetadata(error: Error): void {
  active?.addErrorAsMetadata(error);
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
  if (!active) return;
  for (const [key, value] of Object.entries(annotations)) {
    if (typeof value === 'string' && value !== '') active.putAnnotation(key, value);
  }
}
