/**
 * A stand-alone erasure worker process for the crash test
 * (`test/integration/erasure-crash.test.ts`): runs one erasure on DynamoDB
 * Local, slowed down (each soft delete waits `DELAY_MS`), so the test can
 * SIGKILL it in the middle, as a Lambda container dies. Arguments: table,
 * DynamoDB endpoint, region, erasure id. Prints `done` when it finishes.
 */
import { ulid } from 'ulid';
import { createDb } from '../../functions/data/client';
import { createRepository } from '../../functions/data/repository';
import { DEFAULT_LIMITS, type DomainContext } from '../../functions/domain/context';
import { runErasure } from '../../functions/domain/erasure';
import { LOCAL_CREDENTIALS } from '../../local/dynamo';
import { MemoryStorage, RecordingAudit, RecordingBus, RecordingJobs, RecordingNotifier, RecordingOffline, TEST_CURSOR_SECRET } from './memory';
import { createCursorCodec } from '../../functions/domain/cursors';

const [table, endpoint, region, erasureId] = process.argv.slice(2);
const DELAY_MS = 15;
const db = createDb({ table, endpoint, region, credentials: LOCAL_CREDENTIALS });
const repo = createRepository(db);
const softDelete = repo.messages.softDelete.bind(repo.messages);
repo.messages.softDelete = async (...args) => {
  await new Promise((resolve) => setTimeout(resolve, DELAY_MS));
  return softDelete(...args);
};
const offline = new RecordingOffline();
const ctx: DomainContext = {
  repo,
  notifier: new RecordingNotifier(repo, offline),
  offline,
  audit: new RecordingAudit(),
  bus: new RecordingBus(),
  jobs: new RecordingJobs(),
  storage: new MemoryStorage(),
  limits: DEFAULT_LIMITS,
  cursors: createCursorCodec(TEST_CURSOR_SECRET),
  now: () => new Date(),
  newId: ulid,
};
await runErasure(ctx, erasureId);
process.stdout.write('done\n');
