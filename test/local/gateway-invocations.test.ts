/**
 * The local gateway runs invocations of one function concurrently in one
 * process. Each runs in Lambda's `InvokeStore` (`local/invocations.ts`),
 * so the shared Powertools logger stamps every line
 * with its own invocation's request ids, not those of whichever invocation
 * started last.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger, withLogging } from '../../functions/lib/logger';
import { startGateway, type Gateway } from '../../local/gateway';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The first request waits longest, so the second one's context is injected while the first is still running.
const slow = middy<APIGatewayProxyEventV2>()
  .use(withLogging())
  .handler(async (event, context: Context) => {
    const tag = event.queryStringParameters?.tag ?? '';
    await sleep(tag === 'first' ? 150 : 10);
    logger.info('after the wait', { tag });
    return { statusCode: 200, body: JSON.stringify({ tag, awsRequestId: context.awsRequestId, requestId: event.requestContext.requestId }) };
  });

let gateway: Gateway;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    for (const line of String(chunk).split('\n')) {
      if (line.startsWith('{') && line.includes('after the wait')) lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    return write(chunk as string, ...(rest as []));
  }) as typeof process.stdout.write);
  gateway = await startGateway({
    port: 0,
    httpRoutes: [{ name: 'Slow', method: 'GET', path: '/slow', handler: 'slow' }],
    wsRoutes: [],
    loadHandler: async () => slow as never,
    log: () => undefined,
  });
});

afterAll(async () => {
  vi.restoreAllMocks();
  await gateway?.close();
});

describe('concurrent invocations', () => {
  it('log with their own Lambda request id and correlation id', async () => {
    const call = (tag: string) => fetch(`${gateway.url}/slow?tag=${tag}`).then((r) => r.json() as Promise<{ tag: string; awsRequestId: string; requestId: string }>);
    const first = call('first');
    await sleep(30);
    const answers = await Promise.all([first, call('second')]);

    expect(lines).toHaveLength(2);
    for (const answer of answers) {
      const line = lines.find((l) => l.tag === answer.tag);
      expect(line, answer.tag).toMatchObject({ function_request_id: answer.awsRequestId, correlation_id: answer.requestId, function_name: 'Slow' });
    }
    expect(answers[0].awsRequestId).not.toBe(answers[1].awsRequestId);
  });
});
