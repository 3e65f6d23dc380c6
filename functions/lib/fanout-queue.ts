/**
 * The fan-out queue on SQS FIFO: one message per chat event, `MessageGroupId`
 * = the chat id (SQS delivers a group's messages in order, one batch at a
 * time), `MessageDeduplicationId` = a fresh ULID (a retried SendMessage
 * within 5 minutes is not delivered twice). The SQS SDK loads on first use.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { ulid } from 'ulid';
import type { ChatDelivery } from '../domain/ports';
import type { FanOutQueue } from './delivery';
import { traced } from './tracer';

export function createFanOutQueue(options: { queueUrl: string; endpoint?: string; region?: string }): FanOutQueue {
  let loaded: Promise<{ client: SQSClient; SendMessageCommand: typeof import('@aws-sdk/client-sqs').SendMessageCommand }> | undefined;
  const sqs = () =>
    (loaded ??= import('@aws-sdk/client-sqs').then((sdk) => ({
      client: traced(new sdk.SQSClient({ region: options.region, endpoint: options.endpoint })),
      SendMessageCommand: sdk.SendMessageCommand,
    })));
  return {
    async send(job: ChatDelivery) {
      const { client, SendMessageCommand } = await sqs();
      await client.send(
        new SendMessageCommand({
          QueueUrl: options.queueUrl,
          MessageBody: JSON.stringify(job),
          MessageGroupId: job.chatId,
          MessageDeduplicationId: ulid(),
        }),
      );
    },
  };
}
