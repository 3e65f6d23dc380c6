/**
 * `npm run bench`: runs the real handlers in process against DynamoDB Local
 * and counts, per operation, what does not depend on machine speed:
 * DynamoDB requests by command, consumed RCU/WCU (table + indexes),
 * sequential round trips, `@connections` posts and EventBridge PutEvents.
 * Then bundles every route like the deployed functions and measures bundle
 * size and module init time. Writes `bench/RESULTS.md` and
 * `bench/results.json`.
 *
 * No network: DynamoDB Local on a free loopback port; `@connections`,
 * EventBridge and the issuer's JWKS are served by `fake-aws.ts`.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { ulid } from 'ulid';
import { ensureTable, startDynamo, type DynamoHandle } from '../local/dynamo';
import { createIssuer } from '../local/issuer';
import * as routeTable from '../functions/routes';
import { httpRoutes, wsRoutes } from '../functions/routes';
import type { DomainContext } from '../functions/domain/context';
import type { MessageRecord, Principal } from '../functions/domain/types';
import { measureColdStarts } from './cold-start';
import { httpEvent, lambdaContext, newConnectionId, wsEvent } from './events';
import { startFakeAws, type FakeAws, type QueuedJob } from './fake-aws';
import { createMeasurer, type OperationResult, type OperationSpec } from './measure';
import { attachRecorder, type Recorder } from './recorder';
import { writeReport } from './report';
import { prose } from '../test/support/prose';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TABLE = 'chat-bench';
const RUNS = 4;
const COLD_START_RUNS = 5;
const POOL_SIZE = 1000;
/** Every 10th pool user is online (one open connection). */
const isOnline = (i: number) => i % 10 === 0;
const MESSAGE_BYTES = 1000;

const log = (line: string) => process.stdout.write(`${line}\n`);

/** Queue consumers of the route table (the fan-out worker), when this version of the code has them. */
const queueRoutes = ((routeTable as Record<string, unknown>).queueRoutes ?? []) as readonly { name: string; handler: string }[];
/** Messages per SQS event, as the stack's event source (`batchSize: 10`). */
const SQS_BATCH = 10;

/** The measured code's version: HEAD and the uncommitted changes to the code the handlers run. */
async function codeVersion(): Promise<{ commit: string; uncommitted: string[] }> {
  const git = (args: string[]) =>
    new Promise<string>((done) => execFile('git', args, { cwd: ROOT, timeout: 10_000 }, (error, stdout) => done(error ? '' : stdout)));
  const [commit, status] = await Promise.all([git(['rev-parse', '--short', 'HEAD']), git(['status', '--porcelain', '--', 'functions', 'lib', 'package.json'])]);
  // Porcelain lines are `XY path`: the status letters may start with a space, so never trim before slicing.
  const changed = status.split('\n').filter((line) => line.length > 3).map((line) => line.slice(3));
  return { commit: commit.trim() || 'unknown', uncommitted: changed };
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
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

const pad = (i: number) => String(i).padStart(4, '0');
const poolId = (i: number) => `p${pad(i)}`;

// Before any SDK client exists: the SDK warns once per process on Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

async function main() {
  const started = performance.now();
  let dynamo: DynamoHandle | undefined;
  let fake: FakeAws | undefined;
  try {
    fake = await startFakeAws();
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
      EVENT_BUS_NAME: 'bench',
      EVENTS_ENDPOINT: fake.eventsEndpoint,
      // The fan-out queue of large chats, as the stack configures it (ignored by code without one).
      FANOUT_QUEUE_URL: `${fake.sqsEndpoint}/000000000000/bench-fanout.fifo`,
      SQS_ENDPOINT: fake.sqsEndpoint,
      POWERTOOLS_LOG_LEVEL: 'WARN',
      // In process there is no X-Ray segment to record into (the cold-start children turn it on below).
      POWERTOOLS_TRACE_ENABLED: 'false',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };

    // ------------------------------------------------------------ cold start (first, while the machine is quiet)
    log('Cold start: bundling every route as lib/bundling.ts does and importing each bundle in fresh node processes, interleaved with the baseline');
    const routes = [
      ...httpRoutes.map((r) => ({ name: r.name, handler: r.handler, kind: 'http' as const, permissions: r.permissions })),
      ...wsRoutes.map((r) => ({ name: r.name, handler: r.handler, kind: 'ws' as const, permissions: r.permissions })),
      ...queueRoutes.map((r) => ({ name: r.name, handler: r.handler, kind: 'queue' as const, permissions: (r as { permissions?: readonly string[] }).permissions })),
    ];
    const coldStart = await measureColdStarts({
      root: ROOT,
      routes,
      // The DynamoDB endpoint is never contacted at import. AWS_EXECUTION_ENV turns the tracer on as on Lambda, so its init
      // work (patching http, https and fetch) is measured; NODE_OPTIONS is set per variant by measureColdStarts.
      env: {
        PATH: process.env.PATH ?? '',
        ...env,
        DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        POWERTOOLS_TRACE_ENABLED: 'true',
      },
      runs: COLD_START_RUNS,
      log,
    });

    // ------------------------------------------------------------ DynamoDB Local and the handlers
    log('Starting DynamoDB Local');
    for (let attempt = 1; !dynamo; attempt++) {
      try {
        dynamo = await startDynamo({ port: await freePort() });
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
    await ensureTable(dynamo.endpoint, TABLE);
    Object.assign(process.env, env, { DYNAMODB_ENDPOINT: dynamo.endpoint });
    delete process.env.AWS_PROFILE;

    // Only now: functions/config.ts reads the environment when first imported.
    const runtime = await import('../functions/lib/runtime');
    const recorder: Recorder = attachRecorder(runtime.database().client);
    const ctx: DomainContext = runtime.domainContext();
    const chats = await import('../functions/domain/chats');
    const messagesDomain = await import('../functions/domain/messages');
    const { messageId } = await import('../functions/domain/ids');
    const { previewOf } = await import('../functions/domain/views');

    type Handler = (event: unknown, context: Context) => Promise<{ statusCode?: number; body?: string } | undefined>;
    const loaded = new Map<string, Handler>();
    async function handlerOf(entry: string): Promise<Handler> {
      let h = loaded.get(entry);
      if (!h) {
        const mod = (await import(pathToFileURL(join(ROOT, entry)).href)) as { handler: Handler };
        h = mod.handler;
        loaded.set(entry, h);
      }
      return h;
    }

    const tokens = new Map<string, string>();
    const token = async (userId: string) => {
      let t = tokens.get(userId);
      if (!t) {
        t = await issuer.mint({ userId, name: `User ${userId}`, expiresIn: 6 * 3600 });
        tokens.set(userId, t);
      }
      return t;
    };
    const principal = (userId: string): Principal => ({ userId, name: `User ${userId}`, roles: ['user'] });

    type HttpName = (typeof httpRoutes)[number]['name'];
    async function http(name: HttpName, userId: string, call: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown }, expect: number[]) {
      const route = httpRoutes.find((r) => r.name === name)!;
      const handler = await handlerOf(route.handler);
      const result = await handler(httpEvent({ method: route.method, path: route.path, token: await token(userId), ...call }), lambdaContext(name));
      if (!result || !expect.includes(result.statusCode ?? 0)) throw new Error(`${name} answered ${result?.statusCode}: ${result?.body}`);
      return result.body ? (JSON.parse(result.body) as Record<string, any>) : undefined;
    }
    const wsRoute = (key: string) => wsRoutes.find((r) => r.routeKey === key)!;
    async function wsConnect(userId: string, connectionId: string) {
      fake!.accept(connectionId);
      const route = wsRoute('$connect');
      const result = await (await handlerOf(route.handler))(
        wsEvent({ routeKey: '$connect', eventType: 'CONNECT', connectionId, query: { token: await token(userId) } }),
        lambdaContext(route.name),
      );
      if (result?.statusCode !== 200) throw new Error(`$connect answered ${result?.statusCode}: ${result?.body}`);
    }
    async function wsDisconnect(connectionId: string) {
      const route = wsRoute('$disconnect');
      await (await handlerOf(route.handler))(wsEvent({ routeKey: '$disconnect', eventType: 'DISCONNECT', connectionId }), lambdaContext(route.name));
      fake!.forget(connectionId);
    }
    async function wsAction(action: string, connectionId: string, frame: Record<string, unknown>) {
      const route = wsRoute(action);
      const result = await (await handlerOf(route.handler))(
        wsEvent({ routeKey: action, eventType: 'MESSAGE', connectionId, body: { action, requestId: 'bench', ...frame } }),
        lambdaContext(route.name),
      );
      const body = JSON.parse(result?.body ?? '{}') as { type?: string };
      if (body.type !== 'ack') throw new Error(`${action} answered ${result?.body}`);
      return body;
    }

    /** The fan-out worker on queued jobs, in order, like the SQS event source: batches of ≤ 10. */
    const worker = queueRoutes.find((r) => r.name === 'FanOut') ?? queueRoutes[0];
    let workerInvocationsWholeRun = 0;
    const runWorker = worker
      ? async (jobs: QueuedJob[]) => {
          const handler = await handlerOf(worker.handler);
          let invocations = 0;
          for (let i = 0; i < jobs.length; i += SQS_BATCH) {
            const Records = jobs.slice(i, i + SQS_BATCH).map((job) => ({
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
            }));
            const result = (await handler({ Records }, lambdaContext(worker.name))) as { batchItemFailures?: unknown[] } | undefined;
            if (result?.batchItemFailures?.length) throw new Error(`fan-out worker failed ${result.batchItemFailures.length} job(s)`);
            invocations++;
          }
          workerInvocationsWholeRun += invocations;
          return invocations;
        }
      : undefined;

    // ------------------------------------------------------------ seeding (not measured)
    const seedStart = performance.now();
    log('Seeding');
    const now = new Date().toISOString();
    const named = [
      's-on', 'r-on', 's-off', 'r-off', 'g100-s', 'g1000-s', 'srch-a', 'srch-b', 'l10', 'l100', 'l1000', 'cc', 'cd', 'cg',
      ...Array.from({ length: RUNS }, (_, i) => `cdp${i}`),
    ];
    const poolIds = Array.from({ length: POOL_SIZE }, (_, i) => poolId(i));
    await pool([...poolIds, ...named], 32, (id) => ctx.repo.users.put({ id, name: `User ${id}`, roles: ['user'], createdAt: now, updatedAt: now }));

    // Online users: one connection each, opened through the real $connect handler.
    const connections = new Map<string, string>();
    const online = [...poolIds.filter((_, i) => isOnline(i)), 'r-on', ...Array.from({ length: RUNS }, (_, i) => `cdp${i}`)];
    await pool(online, 8, async (userId) => {
      const id = newConnectionId();
      await wsConnect(userId, id);
      connections.set(userId, id);
    });
    log(`  ${poolIds.length + named.length} users, ${online.length} online`);

    const create = async (owner: string, type: 'direct' | 'group', others: string[]) =>
      (await chats.createChat(ctx, principal(owner), { type, participantIds: others, ...(type === 'group' ? { title: `Bench ${type}` } : {}) })).chat.id;
    const d2on = await create('s-on', 'direct', ['r-on']);
    const d2off = await create('s-off', 'direct', ['r-off']);
    const g100 = await create('g100-s', 'group', poolIds.slice(0, 99));
    const g1000 = await create('g1000-s', 'group', poolIds.slice(0, 999));
    const search = await create('srch-a', 'direct', ['srch-b']);
    await pool(poolIds.slice(0, 10), 10, (p) => create('cc', 'direct', [p]));
    const listUsers: [string, number][] = [
      ['l10', 10],
      ['l100', 100],
      ['l1000', 1000],
    ];
    for (const [user, count] of listUsers) {
      await pool(poolIds.slice(0, count), 16, (p) => create(user, 'direct', [p]));
    }
    log(`  chats: 2 direct, groups of 100 and 1,000, users with 10, 100 and 1,000 chats`);

    /** Writes `count` messages straight through the repository (parallel, explicit seqs), then moves the chat item. */
    async function seedMessages(chatId: string, senders: string[], count: number, content: (seq: number) => string) {
      const [chat] = await ctx.repo.chats.getMany([chatId]);
      const base = Date.now() - count * 1000;
      const records: MessageRecord[] = Array.from({ length: count }, (_, i) => {
        const seq = chat.lastSeq + 1 + i;
        return {
          id: messageId(ulid(), seq),
          chatId,
          seq,
          senderId: senders[seq % senders.length],
          type: 'text',
          content: content(seq),
          reactions: {},
          createdAt: new Date(base + i * 1000).toISOString(),
        };
      });
      await pool(records, 32, async (m) => {
        if ((await ctx.repo.messages.putAtomically(m)) !== 'stored') throw new Error(`seq ${m.seq} of ${chatId} taken`);
      });
      await ctx.repo.chats.recordMessage(chatId, previewOf(records[records.length - 1]));
    }
    await seedMessages(d2on, ['s-on', 'r-on'], 60, (seq) => prose(MESSAGE_BYTES, seq));
    await seedMessages(g100, ['g100-s', ...poolIds.slice(0, 9)], 60, (seq) => prose(MESSAGE_BYTES, seq));
    // 1,000 messages of ~1 KB; "needle" in every 100th (a rare term), "the" in all (a frequent one).
    await seedMessages(search, ['srch-a', 'srch-b'], 1000, (seq) => prose(MESSAGE_BYTES, seq, seq % 100 === 0 ? 'needle' : ''));
    log(`  messages: 60 in the 2- and 100-person chats, 1,000 in the search chat (${((performance.now() - seedStart) / 1000).toFixed(1)} s)`);

    // ------------------------------------------------------------ measurements
    // Deliveries queued while seeding: run them (unmeasured), as the worker would have.
    if (runWorker) await runWorker(fake.takeJobs());
    const measure = createMeasurer(recorder, fake, log, runWorker);
    const results: OperationResult[] = [];
    const run = async (spec: OperationSpec) => results.push(await measure(spec));
    const content = prose(MESSAGE_BYTES, 3);

    log('Connections');
    let ccConnection: string | undefined;
    await run({
      id: 'ws-connect',
      area: 'Connections',
      label: 'WebSocket `$connect` (first connection; 10 direct contacts, 1 online)',
      route: '$connect',
      delivers: true,
      prepare: async () => {
        if (ccConnection) await wsDisconnect(ccConnection);
        ccConnection = newConnectionId();
      },
      invoke: () => wsConnect('cc', ccConnection!),
    });
    await run({
      id: 'ws-disconnect',
      area: 'Connections',
      label: 'WebSocket `$disconnect` (last connection; 10 direct contacts, 1 online)',
      route: '$disconnect',
      delivers: true,
      prepare: async () => {
        if (!ccConnection) {
          ccConnection = newConnectionId();
          await wsConnect('cc', ccConnection);
        }
      },
      invoke: async () => {
        await wsDisconnect(ccConnection!);
        ccConnection = undefined;
      },
    });
    await run({
      id: 'ws-typing-100',
      area: 'Connections',
      label: 'WebSocket `typing` in a chat of 100 (10 online)',
      route: 'typing',
      delivers: true,
      invoke: async () => void (await wsAction('typing', connections.get(poolId(20))!, { chatId: g100, isTyping: true })),
    });

    log('Chats');
    await run({
      id: 'create-direct',
      area: 'Chats',
      label: '`POST /v1/chats` direct (new pair, other user online)',
      route: 'POST /v1/chats',
      delivers: true,
      invoke: async (i) => void (await http('CreateChat', 'cd', { body: { type: 'direct', participantIds: [`cdp${i}`] } }, [201])),
    });
    await run({
      id: 'create-group-100',
      area: 'Chats',
      label: '`POST /v1/chats` group of 100 (10 online)',
      route: 'POST /v1/chats',
      delivers: true,
      invoke: async () => void (await http('CreateChat', 'cg', { body: { type: 'group', title: 'Bench group', participantIds: poolIds.slice(0, 99) } }, [201])),
    });

    log('Sending (1 KB message, sender over HTTP without a connection)');
    const send = (id: string, label: string, user: string, chatId: string, notes: string[] = []) =>
      run({
        id,
        area: 'Sending',
        label,
        route: 'POST /v1/chats/{chatId}/messages',
        delivers: true,
        notes,
        invoke: async () => void (await http('SendMessage', user, { params: { chatId }, body: { content } }, [201])),
      });
    await send('send-2', 'Send, chat of 2 (recipient online)', 's-on', d2on);
    await send('send-2-offline', 'Send, chat of 2 (recipient offline)', 's-off', d2off);
    let clientMessageIds = 0;
    await run({
      id: 'send-2-cmid',
      area: 'Sending',
      label: 'Send with a `clientMessageId` (as the client SDK sends), chat of 2 (recipient online)',
      route: 'POST /v1/chats/{chatId}/messages',
      delivers: true,
      invoke: async () => void (await http('SendMessage', 's-on', { params: { chatId: d2on }, body: { content, clientMessageId: `bench-${++clientMessageIds}` } }, [201])),
    });
    await send('send-100', 'Send, chat of 100 (10 online)', 'g100-s', g100);
    await send('send-1000', 'Send, chat of 1,000 (100 online)', 'g1000-s', g1000);
    // Optimistic seq allocation under contention: each sender that loses a seq tries the next one, so k
    // simultaneous senders cost up to k(k+1)/2 PutItem attempts; the failed ones are listed under the tables.
    await run({
      id: 'send-100-burst-10',
      area: 'Sending',
      label: '10 simultaneous sends by 10 members into a chat of 100 (figures for all 10 together)',
      route: 'POST /v1/chats/{chatId}/messages',
      delivers: true,
      invoke: async () =>
        void (await Promise.all(poolIds.slice(0, 10).map((user) => http('SendMessage', user, { params: { chatId: g100 }, body: { content } }, [201])))),
    });
    await run({
      id: 'send-100-ws',
      area: 'Sending',
      label: 'Send over WebSocket `sendMessage`, chat of 100 (10 online, sender among them)',
      route: 'sendMessage',
      delivers: true,
      invoke: async () => void (await wsAction('sendMessage', connections.get(poolId(10))!, { chatId: g100, content })),
    });

    log('Reading');
    for (const [user, count] of listUsers) {
      for (const limit of [20, 100]) {
        await run({
          id: `list-chats-${count}-limit-${limit}`,
          area: 'Reading',
          label: `\`GET /v1/chats${limit === 20 ? '' : '?limit=100'}\`, user with ${count.toLocaleString('en-US')} chats`,
          route: 'GET /v1/chats',
          delivers: false,
          invoke: async () => {
            const page = await http('ListChats', user, limit === 20 ? {} : { query: { limit: String(limit) } }, [200]);
            if (page?.chats.length !== Math.min(limit, count)) throw new Error(`list chats returned ${page?.chats.length}`);
          },
        });
      }
    }
    const readPage = (id: string, label: string, user: string, chatId: string, query: Record<string, string>, expected: number) =>
      run({
        id,
        area: 'Reading',
        label,
        route: 'GET /v1/chats/{chatId}/messages',
        delivers: false,
        invoke: async () => {
          const page = await http('ListMessages', user, { params: { chatId }, query }, [200]);
          if (page?.messages.length !== expected) throw new Error(`${id} returned ${page?.messages.length} messages`);
        },
      });
    await readPage('read-page-2', 'Messages page (limit 50), chat of 2', 's-on', d2on, { limit: '50' }, 50);
    await readPage('read-page-100', 'Messages page (limit 50), chat of 100', 'g100-s', g100, { limit: '50' }, 50);
    await readPage('search-rare', 'Search `q` (default limit 50), 1,000 messages, 10 matches: reads the whole 1,000-message budget', 'srch-a', search, { q: 'needle' }, 10);
    await readPage('search-frequent', 'Search `q` (default limit 50), 1,000 messages, every message matches', 'srch-a', search, { q: 'the' }, 50);
    await run({
      id: 'mark-read-100',
      area: 'Reading',
      label: '`POST /v1/chats/{id}/read`, chat of 100 (10 online)',
      route: 'POST /v1/chats/{chatId}/read',
      delivers: true,
      // Someone else sends first, so the marker has somewhere to move.
      prepare: async () => void (await messagesDomain.sendMessage(ctx, principal('g100-s'), g100, { content })),
      invoke: async () => void (await http('MarkRead', poolId(1), { params: { chatId: g100 } }, [200])),
    });
    const scans = recorder.totals.get('Scan') ?? 0;

    const seconds = (performance.now() - started) / 1000;
    await writeReport({
      root: ROOT,
      operations: results,
      coldStart,
      scanRequestsWholeRun: scans,
      requestsWholeRun: Object.fromEntries([...recorder.totals].sort(([a], [b]) => a.localeCompare(b))),
      environment: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', seconds: Math.round(seconds), code: await codeVersion() },
      fanOutQueue: { workerRoute: worker?.name ?? null, workerInvocationsWholeRun },
      setup: {
        runsPerOperation: RUNS,
        coldStartRuns: COLD_START_RUNS,
        messageBytes: MESSAGE_BYTES,
        onlineShare: 0.1,
      },
    });
    log(`Wrote bench/RESULTS.md and bench/results.json in ${seconds.toFixed(0)} s`);
  } finally {
    await dynamo?.stop();
    await fake?.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
