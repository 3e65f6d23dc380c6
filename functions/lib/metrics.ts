/**
 * Application metrics (Powertools Metrics, CloudWatch embedded metric
 * format) under the `ServerlessChat` namespace, graphed on the stack's
 * dashboard:
 *
 * | metric | unit | where |
 * |---|---|---|
 * | `MessagesSent` | Count | a message stored (not replays) |
 * | `Deliveries` | Count | PostToConnection calls that succeeded |
 * | `StaleConnectionsRemoved` | Count | connections forgotten after 410 Gone |
 * | `RateLimited` | Count | sends refused with 429 `rate_limited` |
 * | `OfflineNotifications` | Count | `chat.message.offline` events published (after coalescing) |
 * | `PushesSent` | Count | SNS mobile pushes published |
 * | `FanOutDurationMs` | Milliseconds | one chat event's delivery |
 *
 * `POWERTOOLS_METRICS_DISABLED=true` (the local stack's default) turns them off.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';

export const metrics = new Metrics({ namespace: 'ServerlessChat', serviceName: 'chat' });

export function count(name: 'MessagesSent' | 'Deliveries' | 'StaleConnectionsRemoved' | 'RateLimited' | 'OfflineNotifications' | 'PushesSent' | 'ChangeLogFailures', value = 1): void {
  if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
}

export function fanOutDuration(milliseconds: number): void {
  metrics.addMetric('FanOutDurationMs', MetricUnit.Milliseconds, milliseconds);
}

/** Writes the invocation's metrics as one EMF line; writes nothing at all when it recorded none. */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

/**
 * Middy middleware flushing the metrics of each invocation, after the
 * handler or its error. Not Powertools' `logMetrics`: its flush warns "No
 * application metrics to publish…" on every invocation that recorded none
 * (most of them), even with metrics disabled, i.e. one extra CloudWatch Logs
 * line per request on Lambda and a flooded terminal locally.
 */
export const withMetrics = (): MiddlewareObj => ({
  after: async () => flushMetrics(),
  onError: async () => flushMetrics(),
});
