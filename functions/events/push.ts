/**
 * The push worker (SPEC §8): an EventBridge rule on the notification bus
 * sends each `chat.message.offline` event here when the stack has SNS
 * platform applications (CDK context `pushPlatformApplications`); it pushes
 * the notification to every device of the recipient (`domain/push.ts`).
 * EventBridge invokes asynchronously: a thrown error is retried (twice, by
 * Lambda), then the event goes to the push dead-letter queue. Per-device
 * failures are logged, never thrown, so one bad device does not repeat the
 * others' pushes.
 */
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import type { OfflineNotification } from '../domain/ports';
import { deliverPush } from '../domain/push';
import { logger, withLogging } from '../lib/logger';
import { count, withMetrics } from '../lib/metrics';
import { domainContext, pushService } from '../lib/runtime';
import { withTracing } from '../lib/tracer';

export const handler = middy<EventBridgeEvent<'chat.message.offline', OfflineNotification>, void>()
  .use(withTracing())
  .use(withLogging())
  .use(withMetrics())
  .handler(async (event) => {
    const outcome = await deliverPush(
      { repo: domainContext().repo, push: pushService(), warn: (message, details) => logger.warn(message, details) },
      event.detail,
    );
    count('PushesSent', outcome.sent);
    if (outcome.removed > 0) logger.info('removed devices SNS reported disabled or invalid', { removed: outcome.removed });
  });
