/**
 * Vitest globalSetup of the `stack` project: starts ONE local stack
 * (`local/start.ts` on free ports, in memory) for the whole run and provides
 * its description to tests:
 *
 * ```ts
 * import { inject } from 'vitest';
 * import { mintToken } from '../../local/launcher';
 * const stack = inject('stack'); // StackInfo: baseUrl, wsUrl, dynamoEndpoint, tableName, …
 * const token = await mintToken(stack.baseUrl, 'alice', { name: 'Alice' });
 * ```
 *
 * Set `LOCAL_STACK_URL=http://127.0.0.1:3000` to run against an already running
 * `npm start` instead (DynamoDB/S3 ports then default to 8000/4569; start it
 * with a fixed `CONNECTIONS_PORT` and set the same here for the tests that cut
 * connections through `@connections`).
 */
import type { TestProject } from 'vitest/node';
import { startLocalStack, type StackInfo } from '../../local/launcher';

export default async function setup(project: TestProject) {
  const external = process.env.LOCAL_STACK_URL;
  if (external) {
    const baseUrl = external.replace(/\/+$/, '');
    const info: StackInfo = {
      baseUrl,
      wsUrl: `${baseUrl.replace(/^http/, 'ws')}/ws`,
      connectionsUrl: process.env.CONNECTIONS_PORT ? `http://127.0.0.1:${process.env.CONNECTIONS_PORT}` : undefined,
      dynamoEndpoint: process.env.DYNAMODB_ENDPOINT ?? `http://127.0.0.1:${process.env.DYNAMODB_PORT ?? 8000}`,
      tableName: process.env.TABLE_NAME ?? 'chat-local',
      bucketName: process.env.BUCKET_NAME ?? 'chat-attachments-local',
      s3Endpoint: process.env.S3_ENDPOINT ?? `http://127.0.0.1:${process.env.S3_PORT ?? 4569}`,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      region: 'us-east-1',
    };
    project.provide('stack', info);
    return;
  }
  // A low fan-out threshold sends every group of more than 3 participants through the asynchronous
  // fan-out path (local SQS stand-in + FanOut worker), so the end-to-end tests cover both paths.
  const stack = await startLocalStack({ env: { FANOUT_INLINE_MAX: '3' } });
  project.provide('stack', stack.info);
  return async () => {
    await stack.stop();
  };
}
