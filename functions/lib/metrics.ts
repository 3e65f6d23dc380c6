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
 * | `FanOutDurationMs` | Milliseconds | one chat event's delivery |
 *
 * `POWERTOOLS_METRICS_DISABLED=true` (the local stack's default) turns them off.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';

export const metrics = new Metrics({ namespace: 'ServerlessChat', serviceName: 'chat' });

export function count(name: 'MessagesSent' | 'Deliveries' | 'StaleConnectionsRemoved' | 'RateLimited', value = 1): void {
  if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
}

export function fanOutDuration(milliseconds: number): void {
  metrics.addMetric('FanOutDurationMs', MetricUnit.Milliseconds, milliseconds);
}

/** Middy middleware flushing the metrics of each invocation (no error when there are none). */
export const withMetrics = () => logMetrics(metrics, { throwOnEmptyMetrics: false });
