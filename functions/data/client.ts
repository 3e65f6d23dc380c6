/**
 * DynamoDB access context.
 *
 * Every access-pattern function takes a `Db` (document client + table name)
 * so the data layer and the domain can be tested against any table of
 * DynamoDB Local. Handlers use `defaultDb()`, built once per container from
 * `config.ts`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
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
/** Connection timeout against DynamoDB Local (see `createDb`). */
const LOCAL_CONNECTION_TIMEOUT_MS = 10_000;

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
      // A stuck connection fails fast and is retried (3 attempts) well within the 10 s Lambda timeout. An
      // endpoint override is DynamoDB Local (local stack, tests, bench): there every concurrent invocation
      // shares one process and one socket pool, and a burst of new sockets to the Java server on a busy
      // machine takes seconds to be accepted, which DynamoDB itself never does.
      requestHandler: { connectionTimeout: options.endpoint ? LOCAL_CONNECTION_TIMEOUT_MS : 1000, requestTimeout: 3000 },
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

type Item = Record<string, unknown>;
type RawItem = Parameters<typeof unmarshall>[0];

/** One action's outcome in a cancelled transaction: `Code` (`None` for actions that did not fail) and, with ALL_OLD, the item its condition saw. */
export interface CancellationReason {
  code?: string;
  item?: Item;
}

/**
 * Why a transaction was cancelled, one entry per action in request order,
 * with the item each failed condition saw when the action asked for
 * `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`. Empty for any other
 * error.
 */
export function cancellationReasons(error: unknown): CancellationReason[] {
  if ((error as { name?: string })?.name !== 'TransactionCanceledException') return [];
  const reasons = (error as { CancellationReasons?: { Code?: string; Item?: RawItem }[] }).CancellationReasons ?? [];
  return reasons.map((r) => ({ code: r.Code, item: r.Item && unmarshall(r.Item) }));
}

/** True for a failed condition expression (single write) or a transaction cancelled by one. */
export function isConditionFailure(error: unknown): boolean {
  if ((error as { name?: string })?.name === 'ConditionalCheckFailedException') return true;
  return cancellationReasons(error).some((r) => r.code === 'ConditionalCheckFailed');
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

/**
 * Awaits a single conditional write sent with
 * `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`: its output when it was
 * applied, else the item its condition saw (`existing`, absent when there
 * was none), so the caller needs no second read. Other errors propagate.
 */
export async function conditional<T>(write: Promise<T>): Promise<{ applied: true; output: T } | { applied: false; existing?: Item }> {
  try {
    return { applied: true, output: await write };
  } catch (error) {
    if ((error as { name?: string })?.name !== 'ConditionalCheckFailedException') throw error;
    const raw = (error as { Item?: RawItem }).Item;
    return { applied: false, existing: raw && unmarshall(raw) };
  }
}

type Key = Record<string, string>;

/**
 * Sends `pending` until the service has processed all of it: `send` answers
 * what came back unprocessed, retried with exponential backoff and full
 * jitter, at most 8 times.
 */
async function untilProcessed<T>(api: string, pending: T[], send: (part: T[]) => Promise<T[]>): Promise<void> {
  for (let retry = 0; pending.length > 0; retry++) {
    if (retry > 0) {
      if (retry > 8) throw new Error(`${api} kept returning unprocessed requests`);
      await sleep(Math.random() * Math.min(1000, 25 * 2 ** retry));
    }
    pending = await send(pending);
  }
}

/**
 * BatchGetItem over any number of keys: chunks of 100 (the API limit), all
 * chunks in parallel, `UnprocessedKeys` retried with exponential backoff.
 * Missing items are simply absent from the result. Counts: ⌈keys/100⌉
 * requests when nothing is throttled.
 */
export async function batchGet(db: Db, keys: readonly Key[], consistent = false, projection?: readonly string[]): Promise<Item[]> {
  const unique = [...new Map(keys.map((k) => [`${k.PK}\u0000${k.SK}`, k])).values()];
  // A projection reads (and returns) only these attributes; RCUs still count the whole item.
  const projected = projection
    ? { ProjectionExpression: projection.map((_, i) => `#p${i}`).join(', '), ExpressionAttributeNames: Object.fromEntries(projection.map((a, i) => [`#p${i}`, a])) }
    : {};
  const results = await Promise.all(
    chunk(unique, 100).map(async (part) => {
      const items: Item[] = [];
      await untilProcessed('BatchGetItem', part, async (pending) => {
        const out = await db.client.send(
          new BatchGetCommand({ RequestItems: { [db.table]: { Keys: pending, ConsistentRead: consistent, ...projected } } }),
        );
        items.push(...((out.Responses?.[db.table] ?? []) as Item[]));
        return (out.UnprocessedKeys?.[db.table]?.Keys ?? []) as Key[];
      });
      return items;
    }),
  );
  return results.flat();
}

/** BatchWriteItem over any number of requests: chunks of 25 (the API limit) in parallel, `UnprocessedItems` retried with backoff. */
export async function batchWrite(db: Db, requests: readonly Item[]): Promise<void> {
  await Promise.all(
    chunk(requests, 25).map((part) =>
      untilProcessed('BatchWriteItem', part, async (pending) => {
        const out = await db.client.send(new BatchWriteCommand({ RequestItems: { [db.table]: pending } }));
        return (out.UnprocessedItems?.[db.table] ?? []) as Item[];
      }),
    ),
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Query following `LastEvaluatedKey` to the end (each page is at most 1 MB). */
export async function queryAll(db: Db, input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(new QueryCommand({ ...input, TableName: db.table, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
