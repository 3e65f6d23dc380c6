/**
 * DynamoDB access context.
 *
 * Every access-pattern function takes a `Db` (document client + table name)
 * so the data layer and the domain can be tested against any table of
 * DynamoDB Local. Handlers use `defaultDb()`, built once per container from
 * `config.ts`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { traced } from '../lib/tracer';

export interface Db {
  readonly client: DynamoDBDocumentClient;
  readonly table: string;
}

/**
 * `removeUndefinedValues` lets codecs build items from optional fields. The
 * SDK's standard retry strategy (3 attempts, exponential backoff with full
 * jitter) already covers throttling and transient 5xx. The base client is
 * captured by the tracer (one X-Ray subsegment per DynamoDB call, with the
 * operation and table, never items); the document client shares its
 * middleware stack, so its calls are traced too.
 */
export function createDb(options: {
  table: string;
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}): Db {
  const base = traced(
    new DynamoDBClient({
      region: options.region ?? 'us-east-1',
      endpoint: options.endpoint,
      credentials: options.credentials,
      // A stuck connection fails fast and is retried (3 attempts) well within the 10 s Lambda timeout.
      requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 },
    }),
  );
  return {
    client: DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } }),
    table: options.table,
  };
}

/** Splits `items` into chunks of `size` (BatchGetItem takes ≤ 100 keys, BatchWriteItem ≤ 25 requests). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** True for a failed condition expression (single write) or a transaction cancelled by one. */
export function isConditionFailure(error: unknown): boolean {
  const name = (error as { name?: string })?.name;
  if (name === 'ConditionalCheckFailedException') return true;
  if (name === 'TransactionCanceledException') {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
    return reasons.some((r) => r.Code === 'ConditionalCheckFailed');
  }
  return false;
}

/**
 * Awaits a conditional write: true when it was applied, false when its
 * condition did not hold (the expected outcome of a lost race, not an
 * error); other errors propagate.
 */
export async function applied(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

type Key = Record<string, string>;

/**
 * BatchGetItem over any number of keys: chunks of 100 (the API limit), all
 * chunks in parallel, `UnprocessedKeys` retried with exponential backoff.
 * Missing items are simply absent from the result. Counts: ⌈keys/100⌉
 * requests when nothing is throttled.
 */
export async function batchGet(db: Db, keys: readonly Key[], consistent = false): Promise<Record<string, unknown>[]> {
  const unique = [...new Map(keys.map((k) => [`${k.PK}\u0000${k.SK}`, k])).values()];
  const results = await Promise.all(
    chunk(unique, 100).map(async (part) => {
      const items: Record<string, unknown>[] = [];
      let pending: Key[] = part;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) {
          if (attempt > 8) throw new Error('BatchGetItem kept returning unprocessed keys');
          await sleep(Math.random() * Math.min(1000, 25 * 2 ** attempt));
        }
        const out = await db.client.send(
          new BatchGetCommand({ RequestItems: { [db.table]: { Keys: pending, ConsistentRead: consistent } } }),
        );
        items.push(...((out.Responses?.[db.table] ?? []) as Record<string, unknown>[]));
        pending = (out.UnprocessedKeys?.[db.table]?.Keys ?? []) as Key[];
      }
      return items;
    }),
  );
  return results.flat();
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Query following `LastEvaluatedKey` to the end (each page is at most 1 MB). */
export async function queryAll(db: Db, input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(new QueryCommand({ ...input, TableName: db.table, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
