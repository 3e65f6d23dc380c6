/**
 * The governance worker (SPEC §10): one SQS FIFO record per invocation
 * (batch size 1; group = the user, so one user's jobs never overlap).
 *
 * - `erasure`: runs the erasure from its checkpoint (`domain/erasure.ts`).
 *   When fewer than {@link RESERVE_MS} of the invocation remain it stops
 *   between batches and enqueues the next part of the same job; a crash (or a
 *   timeout) fails the record, and SQS delivers it again after the visibility
 *   timeout: the run resumes at the checkpoint. Five failures move it to the
 *   dead-letter queue, the erasure item keeping its checkpoint (redrive it).
 * - `export`: writes the user's export document (`domain/export.ts`).
 */
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { runErasure } from '../domain/erasure';
import type { GovernanceJob } from '../domain/ports';
import { logger, withLogging } from '../lib/logger';
import { withMetrics } from '../lib/metrics';
import { domainContext } from '../lib/runtime';
import { addErrorAsMetadata, withTracing } from '../lib/tracer';
import { runExport } from '../domain/export';

/** Time kept for the last batch's checkpoint and the next part's SendMessage. */
export const RESERVE_MS = 20_000;

export async function runJob(job: GovernanceJob, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<void> {
  const ctx = domainContext();
  if (job.kind === 'export') {
    await runExport(ctx, job.exportId);
    return;
  }
  const outcome = await runErasure(ctx, job.erasureId, () => context.getRemainingTimeInMillis() < RESERVE_MS);
  if (outcome === 'paused') await ctx.jobs.send({ ...job, part: job.part + 1 });
  logger.info('erasure job', { erasureId: job.erasureId, part: job.part, outcome });
}

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(withTracing())
  .use(withLogging())
  .use(withMetrics())
  .handler(async (event, context) => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        await runJob(JSON.parse(record.body) as GovernanceJob, context);
      } catch (error) {
        logger.error('governance job failed; it resumes from its checkpoint when SQS delivers it again', { messageId: record.messageId, error: error as Error });
        addErrorAsMetadata(error as Error);
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  });
