/**
 * The local backing services on their own: DynamoDB Local with the service's
 * table (`local/dynamo.ts`) and the S3 server (`local/s3.ts`), each reachable
 * on 127.0.0.1 only (issue 13 item 19: DynamoDB Local listened on every
 * interface, with any credentials).
 */
import { existsSync } from 'node:fs';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableInput } from '../../functions/data/table';
import { ensureTable, LOCAL_CREDENTIALS, localDynamoClient, startDynamo, type DynamoHandle } from '../../local/dynamo';
import { startS3 } from '../../local/s3';
import { freePorts } from '../../local/launcher';
import { CAN_READ_SOCKETS, isLoopback, listeningSockets } from './sockets';

describe('DynamoDB Local', () => {
  let dynamo: DynamoHandle;
  beforeAll(async () => {
    const [port] = await freePorts(1);
    dynamo = await startDynamo({ port });
  });
  afterAll(async () => {
    await dynamo?.stop();
  });

  it('creates the table with both GSIs and TTL enabled, idempotently', async () => {
    await ensureTable(dynamo.endpoint, 'chat-test');
    await ensureTable(dynamo.endpoint, 'chat-test');
    const client = localDynamoClient(dynamo.endpoint);
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: 'chat-test' }));
      const expected = createTableInput('chat-test');
      expect(Table?.KeySchema).toEqual(expected.KeySchema);
      const indexes = Object.fromEntries((Table?.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i]));
      expect(Object.keys(indexes).sort()).toEqual(['GSI1', 'GSI2']);
      for (const index of expected.GlobalSecondaryIndexes) {
        expect(indexes[index.IndexName].KeySchema).toEqual(index.KeySchema);
        expect(indexes[index.IndexName].Projection?.ProjectionType).toBe(index.Projection.ProjectionType);
        expect(indexes[index.IndexName].IndexStatus).toBe('ACTIVE');
      }
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'chat-test' }));
      expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    } finally {
      client.destroy();
    }
  });

  it.runIf(CAN_READ_SOCKETS)('listens on 127.0.0.1 only', () => {
    const sockets = listeningSockets([dynamo.process.pid!]);
    expect(sockets.map((s) => s.port)).toContain(Number(new URL(dynamo.endpoint).port));
    expect(sockets.filter((s) => !isLoopback(s.address))).toEqual([]);
  });

  it('stop() ends the Java process, idempotently', async () => {
    await dynamo.stop();
    expect(dynamo.process.exitCode !== null || dynamo.process.signalCode !== null).toBe(true);
    await dynamo.stop();
  });
});

describe('S3 server', () => {
  it('listens on 127.0.0.1 only, creates the bucket with CORS, checks signatures, and deletes its temp dir on stop', async () => {
    const [port] = await freePorts(1);
    const s3 = await startS3({ port, bucket: 'chat-attachments-test' });
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    try {
      if (CAN_READ_SOCKETS) expect(listeningSockets([process.pid]).filter((s) => s.port === port)).toEqual([{ address: '127.0.0.1', port, pid: process.pid }]);
      await client.send(new PutObjectCommand({ Bucket: 'chat-attachments-test', Key: 'a/b.txt', Body: 'hello', ContentType: 'text/plain' }));
      const object = await client.send(new GetObjectCommand({ Bucket: 'chat-attachments-test', Key: 'a/b.txt' }));
      expect(await object.Body?.transformToString()).toBe('hello');
      expect(object.ContentType).toBe('text/plain');

      const wrongKey = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...LOCAL_CREDENTIALS, secretAccessKey: 'wrong' } });
      await expect(wrongKey.send(new GetObjectCommand({ Bucket: 'chat-attachments-test', Key: 'a/b.txt' }))).rejects.toThrow();
      wrongKey.destroy();

      const preflight = await fetch(`${s3.endpoint}/chat-attachments-test/a/b.txt`, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
      });
      expect(preflight.status).toBe(200);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    } finally {
      client.destroy();
      await s3.stop();
    }
    expect(existsSync(s3.directory)).toBe(false);
  });
});
