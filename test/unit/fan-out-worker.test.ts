import type { Context, SQSEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const delivered: string[] = [];
const failing = new Set<string>();
vi.mock('../../functions/lib/runtime', () => ({
  deliverChatEvent: async (job: { chatId: string; event: { type: string; n: number } }) => {
    if (failing.has(`${job.chatId}:${job.event.n}`)) throw new Error('post failed');
    delivered.push(`${job.chatId}:${job.event.n}`);
  },
}));

const { handler } = await import('../../functions/queue/fan-out');

const record = (chatId: string, n: number) => ({
  messageId: `${chatId}-${n}`,
  body: JSON.stringify({ chatId, event: { type: 'message.new', n } }),
  attributes: { MessageGroupId: chatId },
});

const context = { awsRequestId: 'r', functionName: 'FanOut', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

describe('FanOut worker', () => {
  beforeEach(() => {
    delivered.splice(0);
    failing.clear();
  });

  it('delivers records in order and reports a failed record with every later record of the same chat', async () => {
    failing.add('a:2');
    const event = { Records: [record('a', 1), record('b', 1), record('a', 2), record('b', 2), record('a', 3)] } as unknown as SQSEvent;
    const result = await handler(event, context);
    expect(delivered).toEqual(['a:1', 'b:1', 'b:2']);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'a-2' }, { itemIdentifier: 'a-3' }]);
  });

  it('reports nothing when every record is delivered', async () => {
    const result = await handler({ Records: [record('a', 1), record('a', 2)] } as unknown as SQSEvent, context);
    expect(result.batchItemFailures).toEqual([]);
    expect(delivered).toEqual(['a:1', 'a:2']);
  });
});
