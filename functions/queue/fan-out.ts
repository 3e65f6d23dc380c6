/**
 * The fan-out worker: SQS FIFO batches of chat events (`ChatDelivery` jobs)
 * for chats too large to deliver inside the request. Records of one chat
 * arrive in order; when one fails, it and every later record of the same
 * chat in the batch are reported as failures, so SQS retries them in order
 * (partial batch response). A record that keeps failing goes to the
 * dead-letter queue after 5 receives.
 */
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ChatDelivery } from '../domain/ports';
import { logger, withLogging } from '../lib/logger';
import { withMetrics } from '../lib/metrics';
import { deliverChatEvent } from '../lib/runtime';
import { addErrorAsMetadata, withTracing } from '../lib/tracer';

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(withTracing())
  .use(withLogging())
  .use(withMetrics())
  .handler(async (event) => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    const failedChats = new Set<string>();
    for (const record of event.Records) {
      const group = record.attributes.MessageGroupId ?? '';
      if (failedChats.has(group)) {
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      try {
        await deliverChatEvent(JSON.parse(record.body) as ChatDelivery);
      } catch (error) {
        logger.error('fan-out job failed', { messageId: record.messageId, error: error as Error });
        // Reported as a batch item failure, not thrown: record the fault on the trace here.
        addErrorAsMetadata(error as Error);
        failedChats.add(group);
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  });
