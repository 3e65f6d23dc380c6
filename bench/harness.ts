/**
 * What every bench scenario runs on: the real handlers, imported in this
 * process and invoked with API Gateway events (`./events`), against DynamoDB
 * Local, with the other AWS endpoints served and counted by `./fake-aws`, and
 * the DynamoDB requests recorded (`./recorder`).
 *
 * Order matters: the handlers read their configuration when first imported,
 * so {@link createHarness} sets the environment first and imports them after.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { httpRoutes, queueRoutes, wsRoutes } from '../functions/routes';
import type { DomainContext } from '../functions/domain/context';
import type { Principal } from '../functions/domain/types';
import { ensureTable, startDynamo, type DynamoHandle } from '../local/dynamo';
import { createIssuer, type LocalIssuer } from '../local/issuer';
import { freePorts } from '../local/launcher';
import { httpEvent, lambdaContext, wsEvent } from './events';
import { startFakeAws, type FakeAws, type QueuedJob } from './fake-aws';
import { createMeasurer, type OperationResult, type OperationSpec, type WorkerRunner } from './measure';
import { attachRecorder, type Recorder } from './recorder';
import { seed, type Fixtures } from './seed';

export const TABLE = 'chat-bench';
/** The user whose tokens carry the platform `admin` role (SPEC §9 moderation routes); every other user is a plain `user`. */
export const BENCH_ADMIN = 'bench-admin';
/** Messages per SQS event, as the stack's event source (`batchSize: 10`). */
const SQS_BATCH = 10;

type Handler = (event: unknown, context: Context) => Promise<{ statusCode?: number; body?: string } | undefined>;
export type HttpRouteName = (typeof httpRoutes)[number]['name'];

/** The fake AWS endpoints, the issuer and the handlers' environment: all the cold-start measurement needs too. */
export interface BenchEnvironment {
  fake: FakeAws;
  issuer: LocalIssuer;
  /** The handlers' environment, as the stack sets it (plus the local endpoints). */
  env: Record<string, string>;
}

export async function createEnvironment(): Promise<BenchEnvironment> {
  const fake = await startFakeAws();
  const issuer = await createIssuer({ baseUrl: fake.baseUrl });
  fake.setJwks(issuer.jwks);
  const env: Record<string, string> = {
    TABLE_NAME: TABLE,
    WS_ENDPOINT: fake.wsEndpoint,
    AUTH_MODE: 'oidc',
    OIDC_ISSUER: issuer.issuer,
    OIDC_AUDIENCE: issuer.audience,
    OIDC_JWKS_URI: `${fake.baseUrl}${fake.jwksPath}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    RATE_LIMIT_PER_MINUTE: '1000000',
    CURSOR_SECRET: 'bench-cursor-secret-0123456789abcdef',
    // A caller's platform ban check (1–2 GetItems) repeats once per BAN_CHECK_SECONDS (30 by default) per
    // container; scenarios that wait (sync settling, quiet chats) would otherwise see it in some warm runs and
    // not others. The check has its own row (`ban-check-me`, a caller's first call); warm runs measure the operation.
    BAN_CHECK_SECONDS: '3600',
    // The other per-user limits of SPEC §5 still take their slot (and are counted); they just never refuse here.
    WRITE_RATE_LIMIT_PER_MINUTE: '1000000',
    CHAT_RATE_LIMIT_PER_MINUTE: '1000000',
    PARTICIPANT_RATE_LIMIT_PER_MINUTE: '1000000',
    EVENT_BUS_NAME: 'bench',
    EVENTS_ENDPOINT: fake.eventsEndpoint,
    // The fan-out queue of large chats, as the stack configures it.
    FANOUT_QUEUE_URL: `${fake.sqsEndpoint}/000000000000/bench-fanout.fifo`,
    SQS_ENDPOINT: fake.sqsEndpoint,
    POWERTOOLS_LOG_LEVEL: 'WARN',
    // In process there is no X-Ray segment to record into (the cold-start children turn it on).
    POWERTOOLS_TRACE_ENABLED: 'false',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  return { fake, issuer, env };
}

/** DynamoDB Local on a free loopback port (three tries: a port picked free can be taken before Java binds it). */
export async function startBenchDynamo(): Promise<DynamoHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      const [port] = await freePorts(1);
      const dynamo = await startDynamo({ port });
      await ensureTable(dynamo.endpoint, TABLE);
      return dynamo;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

export interface Harness {
  fake: FakeAws;
  recorder: Recorder;
  /** The domain wiring the handlers use (`functions/lib/runtime.ts`), for unmeasured seeding. */
  ctx: DomainContext;
  principal(userId: string): Principal;
  /** Invokes an HTTP route's handler as `userId`; throws unless it answers one of `expect`; answers the parsed body. */
  http(
    name: HttpRouteName,
    userId: string,
    call: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown },
    expect: number[],
  ): Promise<Record<string, any> | undefined>;
  /** `$connect` as `userId` (the fake `@connections` then accepts posts to the connection). */
  wsConnect(userId: string, connectionId: string): Promise<void>;
  wsDisconnect(connectionId: string): Promise<void>;
  /** A WebSocket action frame on the connection; throws unless it is acked. */
  wsAction(action: string, connectionId: string, frame: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Runs the fan-out worker on queued jobs like the SQS event source (batches of ≤ 10). */
  runWorker: WorkerRunner;
  /** Worker invocations over the whole run, seeding included. */
  readonly workerInvocations: number;
  /** The worker's route name. */
  workerRoute: string;
}

/** Points the environment at `dynamo`, imports the handlers' wiring and attaches the recorder. */
export async function createHarness({ fake, issuer, env }: BenchEnvironment, dynamo: DynamoHandle, root: string): Promise<Harness> {
  Object.assign(process.env, env, { DYNAMODB_ENDPOINT: dynamo.endpoint });
  delete process.env.AWS_PROFILE;
  // Only now: functions/config.ts reads the environment when first imported.
  const runtime = await import('../functions/lib/runtime');
  const recorder = attachRecorder(runtime.database().client);
  const ctx = runtime.domainContext();

  const loaded = new Map<string, Handler>();
  async function handlerOf(entry: string): Promise<Handler> {
    let h = loaded.get(entry);
    if (!h) {
      h = ((await import(pathToFileURL(join(root, entry)).href)) as { handler: Handler }).handler;
      loaded.set(entry, h);
    }
    return h;
  }

  const tokens = new Map<string, string>();
  const token = async (userId: string) => {
    let t = tokens.get(userId);
    if (!t) {
      t = await issuer.mint({ userId, name: `User ${userId}`, expiresIn: 6 * 3600, ...(userId === BENCH_ADMIN ? { roles: ['admin'] } : {}) });
      tokens.set(userId, t);
    }
    return t;
  };
  const wsRoute = (key: string) => wsRoutes.find((r) => r.routeKey === key)!;
  const worker = queueRoutes.find((r) => r.name === 'FanOut') ?? queueRoutes[0];
  let workerInvocations = 0;

  return {
    fake,
    recorder,
    ctx,
    principal: (userId) => ({ userId, name: `User ${userId}`, roles: ['user'] }),
    async http(name, userId, call, expect) {
      const route = httpRoutes.find((r) => r.name === name)!;
      const handler = await handlerOf(route.handler);
      const result = await handler(httpEvent({ method: route.method, path: route.path, token: await token(userId), ...call }), lambdaContext(name));
      if (!result || !expect.includes(result.statusCode ?? 0)) throw new Error(`${name} answered ${result?.statusCode}: ${result?.body}`);
      return result.body ? (JSON.parse(result.body) as Record<string, any>) : undefined;
    },
    async wsConnect(userId, connectionId) {
      fake.accept(connectionId);
      const route = wsRoute('$connect');
      const result = await (await handlerOf(route.handler))(
        wsEvent({ routeKey: '$connect', eventType: 'CONNECT', connectionId, query: { token: await token(userId) } }),
        lambdaContext(route.name),
      );
      if (result?.statusCode !== 200) throw new Error(`$connect answered ${result?.statusCode}: ${result?.body}`);
    },
    async wsDisconnect(connectionId) {
      const route = wsRoute('$disconnect');
      await (await handlerOf(route.handler))(wsEvent({ routeKey: '$disconnect', eventType: 'DISCONNECT', connectionId }), lambdaContext(route.name));
      fake.forget(connectionId);
    },
    async wsAction(action, connectionId, frame) {
      const route = wsRoute(action);
      const result = await (await handlerOf(route.handler))(
        wsEvent({ routeKey: action, eventType: 'MESSAGE', connectionId, body: { action, requestId: 'bench', ...frame } }),
        lambdaContext(route.name),
      );
      const body = JSON.parse(result?.body ?? '{}') as { type?: string };
      if (body.type !== 'ack') throw new Error(`${action} answered ${result?.body}`);
      return body;
    },
    async runWorker(jobs: QueuedJob[]) {
      const handler = await handlerOf(worker.handler);
      let invocations = 0;
      for (let i = 0; i < jobs.length; i += SQS_BATCH) {
        const Records = jobs.slice(i, i + SQS_BATCH).map((job) => sqsRecord(job));
        const result = (await handler({ Records }, lambdaContext(worker.name))) as { batchItemFailures?: unknown[] } | undefined;
        if (result?.batchItemFailures?.length) throw new Error(`fan-out worker failed ${result.batchItemFailures.length} job(s)`);
        invocations++;
      }
      workerInvocations += invocations;
      return invocations;
    },
    get workerInvocations() {
      return workerInvocations;
    },
    workerRoute: worker.name,
  };
}

/** A queued job as the SQS event source hands it to the worker. */
function sqsRecord(job: QueuedJob) {
  return {
    messageId: job.messageId,
    receiptHandle: `bench-${job.messageId}`,
    body: job.body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(job.sentAt),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      SequenceNumber: job.sequenceNumber,
      ...(job.groupId ? { MessageGroupId: job.groupId } : {}),
      ...(job.deduplicationId ? { MessageDeduplicationId: job.deduplicationId } : {}),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench-fanout.fifo',
    awsRegion: 'us-east-1',
  };
}

/** Runs `fn` over `items` with at most `limit` in flight; answers the results in order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/** What {@link runBench} hands the bench body: the harness on a seeded table and the measurer over its recorder. */
export interface BenchRun {
  environment: BenchEnvironment;
  harness: Harness;
  fixtures: Fixtures;
  measure: (spec: OperationSpec) => Promise<OperationResult>;
}

/**
 * The set-up and tear-down every bench entry point shares (`npm run bench`, `bench/notifications.ts`, …): the fake
 * AWS endpoints and issuer, then `beforeDynamo` (the cold-start measurement, while the machine is quiet), DynamoDB
 * Local, the harness and the seed; then `body`; and, whatever happens, DynamoDB Local and the fake endpoints stopped.
 */
export async function runBench<T>(
  options: { root: string; log: (line: string) => void; beforeDynamo?: (environment: BenchEnvironment) => Promise<void> },
  body: (run: BenchRun) => Promise<T>,
): Promise<T> {
  let dynamo: DynamoHandle | undefined;
  let environment: BenchEnvironment | undefined;
  try {
    environment = await createEnvironment();
    await options.beforeDynamo?.(environment);
    options.log('Starting DynamoDB Local');
    dynamo = await startBenchDynamo();
    const harness = await createHarness(environment, dynamo, options.root);
    const fixtures = await seed(harness, options.log);
    const measure = createMeasurer(harness.recorder, harness.fake, options.log, harness.runWorker);
    return await body({ environment, harness, fixtures, measure });
  } finally {
    await dynamo?.stop();
    await environment?.fake.close();
  }
}

/** Runs a bench entry point's `main` and exits: 0 when it resolves, 1 (with the error printed) when it throws. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
