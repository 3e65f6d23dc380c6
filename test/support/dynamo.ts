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
  /** Commands sent since the last `reset()`, by command name (e.g. `QueryCommand`). */
  readonly calls: { command: string; input: Record<string, unknown> }[];
  reset(): void;
  count(command?: string): number;
}

export async function freshTable(): Promise<CountedDb> {
  const stack = inject('stack');
  const table = `it-${ulid().toLowerCase()}`;
  await ensureTable(stack.dynamoEndpoint, table);
  const db = createDb({ table, endpoint: stack.dynamoEndpoint, region: stack.region, credentials: stack.credentials });
  const calls: CountedDb['calls'] = [];
  db.client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push({ command: context.commandName ?? 'unknown', input: args.input as Record<string, unknown> });
      return next(args);
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
