/**
 * The governance job queue (SPEC §10 erasures and exports) on SQS FIFO:
 * `MessageGroupId` = the user id, so one user's jobs run one at a time (an
 * erasure and an export of the same user never interleave, and two parts
 * of one erasure never run concurrently); `MessageDeduplicationId` = the
 * job and its part, so a retried SendMessage within 5 minutes is not run
 * twice. The SQS SDK loads on first use.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { ServiceUnavailableError } from '../domain/errors';
import type { GovernanceJob, JobQueue } from '../domain/ports';
import { traced } from './tracer';

export function jobDeduplicationId(job: GovernanceJob): string {
  return job.kind === 'erasure' ? `erasure-${job.erasureId}-${job.part}` : `export-${job.exportId}`;
}

export function createJobQueue(options: { queueUrl?: string; endpoint?: string; region?: string }): JobQueue {
  if (!options.queueUrl) {
    return {
      send: async () => {
        throw new ServiceUnavailableError('Background jobs are not configured (GOVERNANCE_QUEUE_URL).');
      },
    };
  }
  let loaded: Promise<{ client: SQSClient; SendMessageCommand: typeof import('@aws-sdk/client-sqs').SendMessageCommand }> | undefined;
  const sqs = () =>
    (loaded ??= import('@aws-sdk/client-sqs').then((sdk) => ({
      client: traced(new sdk.SQSClient({ region: options.region, endpoint: options.endpoint })),
      SendMessageCommand: sdk.SendMessageCommand,
    })));
  return {
    async send(job) {
      const { client, SendMessageCommand } = await sqs();
      await client.send(
        new SendMessageCommand({ QueueUrl: options.queueUrl, MessageBody: JSON.stringify(job), MessageGroupId: job.userId, MessageDeduplicationId: jobDeduplicationId(job) }),
      );
    },
  };
}
