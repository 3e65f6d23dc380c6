/**
 * Records every DynamoDB request the handlers send: command, what it touched
 * (a key pattern with ids removed), consumed capacity (table and indexes,
 * from `ReturnConsumedCapacity: 'INDEXES'`, which this middleware sets on
 * every command that supports it) and its [start, end] time, so sequential
 * round trips can be counted by merging overlapping intervals.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PREFIX, SORT } from '../functions/data/keys';
import { GSI1 } from '../functions/data/table';

/** Commands that accept `ReturnConsumedCapacity`. */
const CAPACITY_COMMANDS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactWriteItems',
  'TransactGetItems',
]);
const READ_COMMANDS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

export interface RequestRecord {
  /** DynamoDB API name, e.g. `BatchGetItem`. */
  command: string;
  /** What it touched, ids removed, e.g. `CHAT#…/MSG#…` or `Query GSI1 CHAT#…`. */
  what: string;
  start: number;
  end: number;
  /** Capacity units by kind; `undefined` capacity = the response carried none (e.g. a failed condition). */
  rcu: number;
  wcu: number;
  /** Write units spent on GSIs (included in `wcu`). */
  indexWcu: number;
  /** Read units spent on GSIs (included in `rcu`). */
  indexRcu: number;
  capacityReported: boolean;
  /** Error name when the request failed (a failed condition is an expected outcome for some writes). */
  error?: string;
  /** True for the fan-out's participants lookup: a Query of GSI1 by `CHAT#…`. */
  participantsQuery: boolean;
  /** True for a BatchGetItem of presence items only (the fan-out's connection lookup). */
  presenceLookup: boolean;
}

export interface Recorder {
  /** Requests since the last `reset()`. */
  readonly requests: RequestRecord[];
  /** Requests started and not yet finished. */
  readonly inFlight: number;
  /** Every command sent during the whole run (seeding included), by name. */
  readonly totals: Map<string, number>;
  reset(): void;
}

type Item = Record<string, unknown>;

/** `USER#alice` → `USER#…`; `MSG#000000000012` → `MSG#…`; `META` stays. */
function pattern(value: unknown): string {
  if (typeof value !== 'string') return '?';
  const i = value.indexOf('#');
  return i === -1 ? value : `${value.slice(0, i)}#…`;
}

const keyPattern = (key: Item | undefined) => (key ? `${pattern(key.PK)}/${pattern(key.SK)}` : '?');

function summarize(patterns: string[]): string {
  const counts = new Map<string, number>();
  for (const p of patterns) counts.set(p, (counts.get(p) ?? 0) + 1);
  return [...counts].map(([p, n]) => (n > 1 ? `${n}× ${p}` : p)).join(', ');
}

/**
 * The chat head of the change log is told apart (bench/sync.ts budgets it):
 * ` SET changedAt` for a head write of its own (`data/changes.ts`
 * touchChat), ` +changedAt` for a head riding on a write the change makes
 * anyway (`data/chats.ts` replacePreview), which is the change's cost, not
 * the change log's.
 */
function headLabel(expression: string): string {
  if (!/\bchangedAt\b/.test(expression)) return '';
  return /^\s*SET\s+changedAt\s*=\s*:\w+\s*$/.test(expression) ? ' SET changedAt' : ' +changedAt';
}

function describe(command: string, input: Item): { what: string; participantsQuery: boolean; presenceLookup: boolean } {
  let participantsQuery = false;
  let presenceLookup = false;
  let what = '';
  switch (command) {
    case 'GetItem':
    case 'DeleteItem':
      what = keyPattern(input.Key as Item);
      break;
    case 'UpdateItem':
      what = `${keyPattern(input.Key as Item)}${headLabel(String(input.UpdateExpression ?? ''))}`;
      break;
    case 'PutItem':
      what = keyPattern(input.Item as Item);
      break;
    case 'Query':
    case 'Scan': {
      const values = (input.ExpressionAttributeValues ?? {}) as Item;
      const pk = Object.values(values).find((v) => typeof v === 'string' && (v as string).includes('#'));
      const index = input.IndexName ? `${String(input.IndexName)} ` : '';
      what = `${index}${pattern(pk)}${input.Limit ? ` Limit ${String(input.Limit)}` : ''}${input.Select === 'COUNT' ? ' COUNT' : ''}`;
      participantsQuery = command === 'Query' && input.IndexName === GSI1.indexName && typeof pk === 'string' && pk.startsWith(PREFIX.chat);
      break;
    }
    case 'BatchGetItem': {
      const keys = Object.values((input.RequestItems ?? {}) as Record<string, { Keys?: Item[] }>).flatMap((t) => t.Keys ?? []);
      what = summarize(keys.map(keyPattern));
      presenceLookup = keys.length > 0 && keys.every((k) => k.SK === SORT.presence);
      break;
    }
    case 'BatchWriteItem': {
      const requests = Object.values((input.RequestItems ?? {}) as Record<string, Item[]>).flat();
      what = summarize(
        requests.map((r) => {
          const put = r.PutRequest as { Item?: Item } | undefined;
          const del = r.DeleteRequest as { Key?: Item } | undefined;
          return put ? `put ${keyPattern(put.Item)}` : `delete ${keyPattern(del?.Key)}`;
        }),
      );
      break;
    }
    case 'TransactWriteItems':
    case 'TransactGetItems': {
      const items = (input.TransactItems ?? []) as Item[];
      what = summarize(
        items.map((t) => {
          const [kind, body] = Object.entries(t)[0] ?? ['?', {}];
          const b = body as Item;
          return `${kind.toLowerCase()} ${keyPattern((b.Item ?? b.Key) as Item)}`;
        }),
      );
      break;
    }
    default:
      what = '';
  }
  return { what, participantsQuery, presenceLookup };
}

interface CapacityEntry {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number }>;
  LocalSecondaryIndexes?: Record<string, { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number }>;
}

function capacity(command: string, consumed: CapacityEntry | CapacityEntry[] | undefined) {
  const entries = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
  const read = READ_COMMANDS.has(command);
  let rcu = 0;
  let wcu = 0;
  let indexRcu = 0;
  let indexWcu = 0;
  for (const e of entries) {
    const total = e.CapacityUnits ?? (e.ReadCapacityUnits ?? 0) + (e.WriteCapacityUnits ?? 0);
    // DynamoDB reports the split only for some calls; otherwise the command's kind decides.
    if (e.ReadCapacityUnits !== undefined || e.WriteCapacityUnits !== undefined) {
      rcu += e.ReadCapacityUnits ?? 0;
      wcu += e.WriteCapacityUnits ?? 0;
    } else if (read) rcu += total;
    else wcu += total;
    for (const index of [...Object.values(e.GlobalSecondaryIndexes ?? {}), ...Object.values(e.LocalSecondaryIndexes ?? {})]) {
      const units = index.CapacityUnits ?? (index.ReadCapacityUnits ?? 0) + (index.WriteCapacityUnits ?? 0);
      if (read) indexRcu += units;
      else indexWcu += units;
    }
  }
  return { rcu, wcu, indexRcu, indexWcu, reported: entries.length > 0 };
}

/** Adds the recording middleware to `client` (the handlers' document client). */
export function attachRecorder(client: DynamoDBDocumentClient): Recorder {
  let requests: RequestRecord[] = [];
  let inFlight = 0;
  const totals = new Map<string, number>();
  const middleware = (next: (args: { input: unknown }) => Promise<{ output: unknown }>, context: { commandName?: string }) =>
    async (args: { input: unknown }) => {
      const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      const input = args.input as Item;
      if (CAPACITY_COMMANDS.has(command)) input.ReturnConsumedCapacity = 'INDEXES';
      totals.set(command, (totals.get(command) ?? 0) + 1);
      const { what, participantsQuery, presenceLookup } = describe(command, input);
      const list = requests;
      const start = performance.now();
      inFlight++;
      const finish = (consumed: CapacityEntry | CapacityEntry[] | undefined, error?: string) => {
        inFlight--;
        const cu = capacity(command, consumed);
        list.push({
          command,
          what,
          start,
          end: performance.now(),
          rcu: cu.rcu,
          wcu: cu.wcu,
          indexRcu: cu.indexRcu,
          indexWcu: cu.indexWcu,
          capacityReported: cu.reported,
          error,
          participantsQuery,
          presenceLookup,
        });
      };
      try {
        const out = await next(args);
        finish((out.output as { ConsumedCapacity?: CapacityEntry | CapacityEntry[] }).ConsumedCapacity);
        return out;
      } catch (error) {
        finish((error as { ConsumedCapacity?: CapacityEntry }).ConsumedCapacity, (error as Error).name);
        throw error;
      }
    };
  // `initialize` runs once per `send`, before marshalling and retries: the interval covers the whole call.
  client.middlewareStack.add(middleware as never, { step: 'initialize', name: 'benchRecorder', priority: 'high' });
  return {
    get requests() {
      return requests;
    },
    get inFlight() {
      return inFlight;
    },
    totals,
    reset: () => {
      requests = [];
    },
  };
}

/** Each interval's group of overlapping intervals, numbered from 1 in time order: its sequential round trip. */
export function roundTripSteps<T extends { start: number; end: number }>(intervals: readonly T[]): Map<T, number> {
  const steps = new Map<T, number>();
  let count = 0;
  let end = -Infinity;
  for (const i of [...intervals].sort((a, b) => a.start - b.start)) {
    if (i.start >= end) {
      count++;
      end = i.end;
    } else end = Math.max(end, i.end);
    steps.set(i, count);
  }
  return steps;
}

/** Number of groups of overlapping intervals: the sequential round trips. */
export function roundTrips(intervals: readonly { start: number; end: number }[]): number {
  return Math.max(0, ...roundTripSteps(intervals).values());
}

/**
 * The longest chain of requests each starting after the previous one ended
 * (greedy by earliest end). Equals `roundTrips` unless a long request
 * overlaps two sequential ones, which merging would count once.
 */
export function longestChain(intervals: readonly { start: number; end: number }[]): number {
  const sorted = [...intervals].sort((a, b) => a.end - b.end);
  let count = 0;
  let end = -Infinity;
  for (const i of sorted) {
    if (i.start >= end) {
      count++;
      end = i.end;
    }
  }
  return count;
}
