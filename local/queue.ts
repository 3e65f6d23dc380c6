/**
 * A stand-in for the fan-out SQS FIFO queue, served by the gateway under
 * `/dev/sqs`, so the local stack runs the same asynchronous delivery path as
 * AWS: handlers send with the real `@aws-sdk/client-sqs` (AWS JSON 1.0,
 * `X-Amz-Target: AmazonSQS.SendMessage`), and the queue invokes the worker
 * of `queueRoutes` (functions/routes.ts) with SQS events.
 *
 * FIFO semantics that matter to clients are kept: messages of one
 * `MessageGroupId` are processed one at a time in send order; a
 * `MessageDeduplicationId` seen in the last 5 minutes is accepted and
 * dropped; records reported in `batchItemFailures` (or a thrown handler) are
 * retried with backoff, up to 5 receives, then moved to a dead-letter list.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { DevResponse, DevRoute } from './gateway/dev-routes';
import { lambdaContext, type LambdaHandler } from './gateway/lambda-host';
import { invocationScope } from './invocations';

/** SQS FIFO's deduplication interval. */
const DEDUP_WINDOW_MS = 5 * 60 * 1000;
/** The stack's redrive policy (lib/chat-stack.ts). */
const MAX_RECEIVES = 5;
/** The worker function's timeout, as the stack sets it (`FANOUT_TIMEOUT` in lib/chat-stack.ts). */
const WORKER_TIMEOUT_MS = 60_000;

export interface LocalQueue {
  /** `POST /dev/sqs[/][{queue}]` (SendMessage) and `GET /dev/sqs/stats`. */
  routes: DevRoute[];
  /** Resolves when every message sent so far has been processed (or dead-lettered). */
  drained(): Promise<void>;
  /** Messages that failed `MAX_RECEIVES` times. */
  deadLetters(): { body: string; group: string }[];
  /** The queue's name, the last segment of its `QueueUrl`. */
  readonly queueName: string;
  /** SendMessage for this queue (used by {@link queueRoutes} to serve several queues on one endpoint). */
  send(input: Record<string, string>): DevResponse;
}

/**
 * The dev routes of several local queues on one SQS endpoint: a SendMessage
 * goes to the queue its `QueueUrl` names (the first one when none matches);
 * `GET /dev/sqs/stats` reports the first queue (the fan-out queue).
 */
export function queueRoutes(queues: readonly LocalQueue[]): DevRoute[] {
  const [first] = queues;
  const handler: DevRoute['handler'] = (req) => {
    let input: Record<string, string> | undefined;
    try {
      input = req.json() as Record<string, string>;
    } catch {
      // The first queue's route answers the error.
    }
    const name = input?.QueueUrl?.split('/').at(-1);
    const queue = queues.find((q) => q.queueName === name) ?? first;
    return queue.routes[0].handler(req);
  };
  return [...first.routes.map((route) => (route.method === 'POST' ? { ...route, handler } : route))];
}

export function createLocalQueue(options: {
  queueName: string;
  region: string;
  worker: () => Promise<LambdaHandler>;
  log?: (line: string) => void;
  /** The worker's name and timeout as the stack sets them (default: the fan-out worker's). */
  functionName?: string;
  timeoutMs?: number;
}): LocalQueue {
  const groups = new Map<string, Promise<void>>();
  const seen = new Map<string, number>();
  const dead: { body: string; group: string }[] = [];
  /** Jobs accepted (after de-duplication) and jobs the worker finished, for tests and operators. */
  const stats = { sent: 0, processed: 0 };
  let sequence = 0;
  const arn = `arn:aws:sqs:${options.region}:000000000000:${options.queueName}`;
  const scope = invocationScope();

  async function process(body: string, group: string, dedupId: string, messageId: string, sentAt: number): Promise<void> {
    const [worker, inInvocation] = await Promise.all([options.worker(), scope]);
    for (let receive = 1; receive <= MAX_RECEIVES; receive++) {
      const event: SQSEvent = {
        Records: [
          {
            messageId,
            receiptHandle: randomUUID(),
            body,
            attributes: {
              ApproximateReceiveCount: String(receive),
              SentTimestamp: String(sentAt),
              SenderId: 'LOCAL',
              ApproximateFirstReceiveTimestamp: String(Date.now()),
              MessageGroupId: group,
              MessageDeduplicationId: dedupId,
              SequenceNumber: String(++sequence),
            },
            messageAttributes: {},
            md5OfBody: md5(body),
            eventSource: 'aws:sqs',
            eventSourceARN: arn,
            awsRegion: options.region,
          },
        ],
      };
      try {
        const context = lambdaContext({ functionName: options.functionName ?? 'FanOut', timeoutMs: options.timeoutMs ?? WORKER_TIMEOUT_MS, region: options.region, memoryMb: 256 });
        const result = (await inInvocation(context, () => worker(event, context))) as SQSBatchResponse | undefined;
        if (!result?.batchItemFailures?.length) {
          stats.processed++;
          return;
        }
      } catch (error) {
        options.log?.(`${options.functionName ?? 'fan-out'} worker threw: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** receive)));
    }
    dead.push({ body, group });
    options.log?.(`${options.functionName ?? 'fan-out'} job dead-lettered after ${MAX_RECEIVES} receives (group ${group})`);
  }

  function sendMessage(input: { MessageBody?: string; MessageGroupId?: string; MessageDeduplicationId?: string }): DevResponse {
    if (!input.MessageBody || !input.MessageGroupId) return awsError(400, 'MissingParameter', 'MessageBody and MessageGroupId are required for FIFO queues.');
    const now = Date.now();
    for (const [id, at] of seen) if (now - at > DEDUP_WINDOW_MS) seen.delete(id);
    const dedupId = input.MessageDeduplicationId ?? createHash('sha256').update(input.MessageBody).digest('hex');
    const messageId = randomUUID();
    if (!seen.has(dedupId)) {
      seen.set(dedupId, now);
      stats.sent++;
      const group = input.MessageGroupId;
      const body = input.MessageBody;
      // One chain per group: FIFO order, one message of a group in flight at a time.
      const next = (groups.get(group) ?? Promise.resolve()).then(() => process(body, group, dedupId, messageId, now));
      groups.set(group, next);
      void next.finally(() => {
        if (groups.get(group) === next) groups.delete(group);
      });
    }
    return {
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({ MessageId: messageId, MD5OfMessageBody: md5(input.MessageBody), SequenceNumber: String(sequence) }),
    };
  }

  const handler: DevRoute['handler'] = (req) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target !== 'AmazonSQS.SendMessage') return awsError(400, 'UnsupportedOperation', `The local queue supports SendMessage only, not ${target || 'this request'}.`);
    let input: Record<string, string>;
    try {
      input = req.json() as Record<string, string>;
    } catch {
      return awsError(400, 'MalformedInput', 'The body is not JSON.');
    }
    return sendMessage(input);
  };

  return {
    queueName: options.queueName,
    send: sendMessage,
    routes: [
      // The SQS SDK posts to the endpoint's path with a trailing slash (`/dev/sqs/`).
      { method: 'POST', path: '/dev/sqs', handler },
      { method: 'POST', path: '/dev/sqs/', handler },
      { method: 'POST', path: '/dev/sqs/{queue}', handler },
      { method: 'GET', path: '/dev/sqs/stats', handler: () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...stats, deadLettered: dead.length, inFlightGroups: groups.size }) }) },
    ],
    drained: async () => {
      while (groups.size > 0) await Promise.allSettled([...groups.values()]);
    },
    deadLetters: () => [...dead],
  };
}

function awsError(status: number, code: string, message: string): DevResponse {
  return { status, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify({ __type: `com.amazonaws.sqs#${code}`, message }) };
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
