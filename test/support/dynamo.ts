/**
 * Integration-test helpers: a fresh table on the run's DynamoDB Local (from
 * `inject('stack')`), and a `Db` whose client counts every request, so tests
 * can assert the data model's request budgets.
 */
import { inject } from 'vitest';
import { ulid } from 'ulid';
import { ensureTable } from '../../local/dynamo';
import { createDb, type Db } from '../../functions/data/client';
import { createRepository } from '../../functions/data/repository';
import { DEFAULT_LIMITS, type DomainContext, type Limits } from '../../functions/domain/context';
import type { Repository } from '../../functions/domain/ports';
import type { Principal } from '../../functions/domain/types';
import { createStorage } from '../../functions/lib/storage';
import { createCursorCodec } from '../../functions/domain/cursors';
import { RecordingAudit, RecordingBus, RecordingJobs, RecordingNotifier, RecordingOffline, TEST_CURSOR_SECRET } from './memory';

export interface CountedDb extends Db {
  /**
   * Commands sent since the last `reset()`, by command name (e.g.
   * `QueryCommand`); with `capacity`, the write units DynamoDB reported for
   * each (`ReturnConsumedCapacity: TOTAL`; absent for a request that failed).
   */
  readonly calls: { command: string; input: Record<string, unknown>; wcu?: number }[];
  reset(): void;
  count(command?: string): number;
}

/** Document-client commands that take `ReturnConsumedCapacity`. */
const CAPACITY_COMMANDS = /^(Get|Put|Update|Delete|Query|Scan|BatchGet|BatchWrite|TransactWrite|TransactGet)(Item)?Command$/;

type Capacity = { CapacityUnits?: number; WriteCapacityUnits?: number };
const WRITE_COMMANDS = /^(Put|Update|Delete|BatchWrite|TransactWrite)(Item)?Command$/;
/** Write units of a write's answer (DynamoDB reports a write's total as `CapacityUnits`); 0 for a read. */
const writeUnits = (command: string, consumed: Capacity | Capacity[] | undefined) =>
  !WRITE_COMMANDS.test(command) ? 0 : consumed === undefined ? undefined : [consumed].flat().reduce((sum, c) => sum + (c.WriteCapacityUnits ?? c.CapacityUnits ?? 0), 0);

export async function freshTable(options: { capacity?: boolean } = {}): Promise<CountedDb> {
  const stack = inject('stack');
  const table = `it-${ulid().toLowerCase()}`;
  await ensureTable(stack.dynamoEndpoint, table);
  const db = createDb({ table, endpoint: stack.dynamoEndpoint, region: stack.region, credentials: stack.credentials });
  const calls: CountedDb['calls'] = [];
  db.client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      const input = args.input as Record<string, unknown>;
      const call: CountedDb['calls'][number] = { command, input };
      calls.push(call);
      if (!options.capacity || !CAPACITY_COMMANDS.test(command)) return next(args);
      input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      call.wcu = writeUnits(command, (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity);
      return result;
    },
    { step: 'initialize', name: 'countRequests' },
  );
  return {
    ...db,
    calls,
    reset: () => void calls.splice(0),
    count: (command) => (command ? calls.filter((c) => c.command === command).length : calls.length),
  };
}

/** A domain context on DynamoDB (real repository) with a recording notifier. */
export function dynamoContext(db: Db, limits: Partial<Limits> = {}) {
  const repo = createRepository(db);
  const offline = new RecordingOffline();
  const notifier = new RecordingNotifier(repo, offline);
  const stack = inject('stack');
  const storage = createStorage({ bucket: stack.bucketName, endpoint: stack.s3Endpoint, region: stack.region, credentials: stack.credentials });
  const audit = new RecordingAudit();
  const jobs = new RecordingJobs();
  const bus = new RecordingBus();
  const ctx: DomainContext = { repo, notifier, offline, audit, bus, jobs, storage, limits: { ...DEFAULT_LIMITS, ...limits }, cursors: createCursorCodec(TEST_CURSOR_SECRET), now: () => new Date(), newId: ulid };
  return { ctx, notifier, offline, audit, bus, jobs, storage };
}

/**
 * Principals recorded in the directory as callers who have used the API, at
 * most 10 writes in flight: a burst of hundreds of new connections to
 * DynamoDB Local on a busy machine outlasts the client's 1 s connection
 * timeout.
 */
export async function registerUsers(repo: Repository, ids: readonly string[], roles: ('support' | 'admin')[] = []): Promise<Principal[]> {
  const principals = ids.map((id): Principal => ({ userId: id, name: id, roles: ['user', ...roles] }));
  const now = new Date().toISOString();
  for (let i = 0; i < principals.length; i += 10) await Promise.all(principals.slice(i, i + 10).map((p) => repo.users.touch(p, now)));
  return principals;
}
