/**
 * Every 5 minutes (EventBridge schedule, `scheduledRoutes`): publishes
 * `OldestOpenReportAgeSeconds` (EMF, namespace `ServerlessChat`), which the
 * `ReportSla` alarm watches (SPEC §9 `REPORT_SLA_HOURS`).
 */
import middy from '@middy/core';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { oldestOpenReportAgeSeconds } from '../domain/report-sla';
import { withLogging } from '../lib/logger';
import { metrics, withMetrics } from '../lib/metrics';
import { domainContext } from '../lib/runtime';
import { withTracing } from '../lib/tracer';

export const REPORT_AGE_METRIC = 'OldestOpenReportAgeSeconds';

export const handler = middy()
  .use(withTracing())
  .use(withLogging())
  .use(withMetrics())
  .handler(async () => {
    const age = await oldestOpenReportAgeSeconds(domainContext());
    metrics.addMetric(REPORT_AGE_METRIC, MetricUnit.Seconds, age);
    return { oldestOpenReportAgeSeconds: age };
  });
