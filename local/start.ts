/**
 * `npm start`: the whole service on this machine, no AWS account, no Docker
 * (SPEC §1). DynamoDB Local + table, a local S3 server + bucket, the token
 * issuer and the gateway serving the real handlers, plus the web client at
 * `GET /` (`local/web.ts`, local stack only).
 *
 * Environment (all optional):
 * - `PORT` (3000): HTTP API `http://127.0.0.1:$PORT`, WebSocket `ws://127.0.0.1:$PORT/ws`
 * - `DATA_DIR`: persist DynamoDB and S3 data there (unset = in memory / temp dir)
 * - `DYNAMODB_PORT` (8000), `S3_PORT` (4569)
 * - `CONNECTIONS_PORT` (unset: a free port): the `@connections` API, which only the handlers are told
 * - `TABLE_NAME` (`chat-local`), `BUCKET_NAME` (`chat-attachments-local`)
 * - `WS_IDLE_TIMEOUT_MS`, `WS_MAX_CONNECTION_MS`: shorten API Gateway's 10 min / 2 h for tests
 * - `LOG_REQUESTS=1`: one log line per request and WebSocket event
 * - `EXIT_ON_STDIN_CLOSE=1`: shut down when stdin closes (the test harness sets it so a
 *   killed test runner never leaves a stack behind)
 *
 * Every server listens on 127.0.0.1 only.
 *
 * Exit codes: 0 after Ctrl-C/SIGTERM/SIGHUP, 1 when startup fails (the message says why).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { eventRoutes, queueRoutes } from '../functions/routes';
import { ensureTable, LOCAL_CREDENTIALS, LOCAL_REGION, startDynamo } from './dynamo';
import { createEventBus } from './event-bus';
import { bindGateway, type LambdaHandler } from './gateway';
import { lambdaContext } from './gateway/lambda-host';
import { createIssuer, LOCAL_AUDIENCE } from './issuer';
import { createLocalQueue, queueRoutes as localQueueRoutes } from './queue';
import { createLocalSns } from './sns';
import { invocationScope } from './invocations';
import { startS3 } from './s3';
import { buildWebClient } from './web';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${name} must be a port number (1-65535), got ${JSON.stringify(raw)}.`);
  return value;
}

/** Fails fast (before the ~3-8 s DynamoDB Local start) when a port is taken. */
function assertFree(portNumber: number, name: string): Promise<void> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      fail(new Error(error.code === 'EADDRINUSE' ? `Port ${portNumber} is already in use; set ${name} to a free port (is another stack running?).` : error.message)),
    );
    probe.listen(portNumber, '127.0.0.1', () => probe.close(() => done()));
  });
}

const cleanups: { name: string; run: () => Promise<void> }[] = [];
let shuttingDown: Promise<never> | undefined;

async function cleanup() {
  // Reverse start order: the gateway's `$disconnect` handlers still need DynamoDB.
  for (const { name, run } of cleanups.reverse()) {
    try {
      await run();
    } catch (error) {
      process.stderr.write(`stopping ${name} failed: ${(error as Error).message}\n`);
    }
  }
  cleanups.length = 0;
}

function shutdown(code: number, message?: string): Promise<never> {
  shuttingDown ??= (async () => {
    if (message) process.stderr.write(`${message}\n`);
    // A hung handler must not keep Ctrl-C from working.
    setTimeout(() => process.exit(code || 1), 15_000).unref();
    await cleanup();
    process.exit(code);
  })();
  return shuttingDown;
}

async function main() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (shuttingDown) process.exit(1); // second Ctrl-C: give up waiting (the exit hook still kills Java)
      void shutdown(0);
    });
  }
  if (process.env.EXIT_ON_STDIN_CLOSE === '1') {
    process.stdin.on('end', () => void shutdown(0));
    process.stdin.on('close', () => void shutdown(0));
    process.stdin.resume();
  }

  const PORT = port('PORT', 3000);
  const DYNAMODB_PORT = port('DYNAMODB_PORT', 8000);
  const S3_PORT = port('S3_PORT', 4569);
  const CONNECTIONS_PORT = port('CONNECTIONS_PORT', 0);
  const DATA_DIR = process.env.DATA_DIR ? resolve(process.env.DATA_DIR) : undefined;
  const TABLE_NAME = process.env.TABLE_NAME || 'chat-local';
  const BUCKET_NAME = process.env.BUCKET_NAME || 'chat-attachments-local';

  // The gateway's ports first (a taken one fails here, in milliseconds); it answers 503 until it serves the handlers.
  const bound = await bindGateway({
    port: PORT,
    connectionsPort: CONNECTIONS_PORT,
    logRequests: process.env.LOG_REQUESTS === '1',
  }).catch((error: NodeJS.ErrnoException & { port?: number }) => {
    if (error.code !== 'EADDRINUSE') throw error;
    const name = error.port === PORT ? 'PORT' : 'CONNECTIONS_PORT';
    throw new Error(`Port ${error.port} is already in use; set ${name} to a free port (is another stack running?).`);
  });
  const baseUrl = bound.url;

  await assertFree(DYNAMODB_PORT, 'DYNAMODB_PORT');
  await assertFree(S3_PORT, 'S3_PORT');

  const [dynamo, s3] = await Promise.allSettled([startDynamo({ port: DYNAMODB_PORT, dataDir: DATA_DIR }), startS3({ port: S3_PORT, bucket: BUCKET_NAME, dataDir: DATA_DIR })]);
  if (dynamo.status === 'fulfilled') cleanups.push({ name: 'DynamoDB Local', run: dynamo.value.stop });
  if (s3.status === 'fulfilled') cleanups.push({ name: 'S3', run: s3.value.stop });
  // Registered after DynamoDB so it stops before it (cleanups run in reverse): `$disconnect` handlers still write to it.
  // (Should anything before this throw, exiting closes the gateway's sockets.)
  cleanups.push({ name: 'gateway', run: bound.close });
  if (dynamo.status === 'rejected') throw dynamo.reason;
  if (s3.status === 'rejected') throw s3.reason;
  await ensureTable(dynamo.value.endpoint, TABLE_NAME);

  const issuer = await createIssuer({ baseUrl, audience: LOCAL_AUDIENCE });
  // SPEC §8: the push worker behind the bus, as the CDK stack wires it, against the local SNS stand-in (/dev/pushes).
  const sns = createLocalSns();
  const [pushRoute] = eventRoutes;
  let pushWorker: Promise<LambdaHandler> | undefined;
  const pushScope = invocationScope();
  const eventBus = createEventBus({
    region: LOCAL_REGION,
    log: (line) => process.stderr.write(`${line}\n`),
    targets: [
      {
        detailType: pushRoute.detailType,
        invoke: async (event) => {
          const [handler, inInvocation] = await Promise.all([
            (pushWorker ??= import(pathToFileURL(resolve(root, pushRoute.handler)).href).then((m: { handler: LambdaHandler }) => m.handler)),
            pushScope,
          ]);
          const context = lambdaContext({ functionName: pushRoute.name, timeoutMs: 30_000, region: LOCAL_REGION, memoryMb: 256 });
          await inInvocation(context, () => handler(event, context));
        },
      },
    ],
  });
  // The same asynchronous fan-out path as AWS: handlers send to this queue, which runs the FanOut worker.
  const fanOutRoute = queueRoutes.find((r) => r.name === 'FanOut')!;
  let worker: Promise<LambdaHandler> | undefined;
  const fanOutQueue = createLocalQueue({
    queueName: 'chat-fanout.fifo',
    region: LOCAL_REGION,
    worker: () => (worker ??= import(pathToFileURL(resolve(root, fanOutRoute.handler)).href).then((m: { handler: LambdaHandler }) => m.handler)),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  // Erasure and export jobs (SPEC §10) run the same way: the Governance worker from its own queue.
  const governanceRoute = queueRoutes.find((r) => r.name === 'Governance')!;
  let governanceWorker: Promise<LambdaHandler> | undefined;
  const governanceQueue = createLocalQueue({
    queueName: 'chat-governance.fifo',
    region: LOCAL_REGION,
    functionName: governanceRoute.name,
    timeoutMs: 120_000,
    worker: () => (governanceWorker ??= import(pathToFileURL(resolve(root, governanceRoute.handler)).href).then((m: { handler: LambdaHandler }) => m.handler)),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const pkg = JSON.parse(await readFile(resolve(root, 'package.json'), 'utf8')) as { version?: string };

  // Signed cursors (sync) must survive a restart when the data does: the secret lives next to the data.
  const cursorSecret = process.env.CURSOR_SECRET || (await localCursorSecret(DATA_DIR));

  // Handlers read their configuration at import time, so this must precede bound.start() (which imports them).
  Object.assign(process.env, {
    TABLE_NAME,
    BUCKET_NAME,
    WS_ENDPOINT: bound.connectionsUrl,
    WS_URL: bound.wsUrl,
    AUTH_MODE: 'oidc',
    OIDC_ISSUER: issuer.issuer,
    OIDC_AUDIENCE: issuer.audience,
    OIDC_JWKS_URI: issuer.jwksUri,
    DYNAMODB_ENDPOINT: dynamo.value.endpoint,
    S3_ENDPOINT: s3.value.endpoint,
    EVENTS_ENDPOINT: `${baseUrl}/dev/events`,
    SQS_ENDPOINT: `${baseUrl}/dev/sqs`,
    FANOUT_QUEUE_URL: `${baseUrl}/dev/sqs/chat-fanout.fifo`,
    GOVERNANCE_QUEUE_URL: `${baseUrl}/dev/sqs/chat-governance.fifo`,
    // One process: the container that takes an erasure request forgets the caller at once anyway.
    ERASURE_CHECK_SECONDS: process.env.ERASURE_CHECK_SECONDS || '30',
    FANOUT_INLINE_MAX: process.env.FANOUT_INLINE_MAX || '50',
    // CloudWatch embedded metrics would only flood the terminal locally; LOG_METRICS=1 shows them.
    POWERTOOLS_METRICS_DISABLED: process.env.LOG_METRICS === '1' ? 'false' : 'true',
    // No X-Ray daemon locally; the handlers' tracer calls are no-ops.
    POWERTOOLS_TRACE_ENABLED: 'false',
    EVENT_BUS_NAME: process.env.EVENT_BUS_NAME || 'chat-local',
    PUSH_PREVIEW: process.env.PUSH_PREVIEW || 'full',
    SNS_ENDPOINT: `${baseUrl}/dev/sns`,
    // Stand-in platform applications, so the local stack pushes (to /dev/pushes) like a stack deployed with push credentials.
    PUSH_APNS_ARN: `arn:aws:sns:${LOCAL_REGION}:000000000000:app/APNS/chat-local`,
    PUSH_APNS_SANDBOX_ARN: `arn:aws:sns:${LOCAL_REGION}:000000000000:app/APNS_SANDBOX/chat-local`,
    PUSH_FCM_ARN: `arn:aws:sns:${LOCAL_REGION}:000000000000:app/GCM/chat-local`,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    APP_VERSION: process.env.APP_VERSION || pkg.version || '0.0.0',
    // List and sync cursors are HMAC-signed (functions/domain/cursors.ts): kept per data directory, else fresh per start.
    CURSOR_SECRET: cursorSecret,
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;

  // The web client (GET /) is served by the local stack only; see local/web.ts for why.
  const web = await buildWebClient({ root });
  const gateway = await bound.start({
    root,
    devRoutes: [...issuer.routes, ...eventBus.routes, ...localQueueRoutes([fanOutQueue, governanceQueue]), ...sns.routes],
    assets: web.assets,
  });

  const demo = await issuer.mint({ userId: 'alice', name: 'Alice' });
  const portPrefix = PORT === 3000 ? '' : `PORT=${PORT} `;
  const health = await fetch(`${baseUrl}/health`).then(
    (res) => res.status,
    () => 0,
  );
  process.stdout.write(
    [
      '',
      `  HTTP API   ${gateway.url}`,
      `  Web client ${gateway.url}/${web.buildError ? ' (the bundle failed to build, see above)' : ''}`,
      `  WebSocket  ${gateway.wsUrl}?token=<JWT>`,
      `  DynamoDB   ${dynamo.value.endpoint} (table ${TABLE_NAME}${DATA_DIR ? `, data in ${DATA_DIR}` : ', in memory'})`,
      `  S3         ${s3.value.endpoint} (bucket ${BUCKET_NAME})`,
      '',
      `  API docs   ${gateway.url}/docs`,
      '',
      // The scripts read PORT too, so on another port the commands carry it.
      `  Token:     TOKEN=$(${portPrefix}npm run -s token -- alice --name Alice)`,
      `  Try:       curl -H "Authorization: Bearer $TOKEN" ${gateway.url}/v1/me`,
      `  Events:    ${portPrefix}npm run -s ws -- alice   (prints alice's WebSocket events; type a JSON frame to send one)`,
      `  WebSocket: ${gateway.wsUrl}?token=${demo}`,
      '',
      health === 200 ? 'ready' : `warning: GET /health answered ${health || 'nothing'}; the stack is up but not healthy`,
      '',
    ].join('\n'),
  );
}

/** A random cursor secret, kept in `DATA_DIR/cursor-secret` when data persists (so cursors stay valid across restarts). */
async function localCursorSecret(dataDir: string | undefined): Promise<string> {
  const fresh = randomBytes(32).toString('base64url');
  if (!dataDir) return fresh;
  const file = resolve(dataDir, 'cursor-secret');
  const stored = await readFile(file, 'utf8').then((text) => text.trim(), () => '');
  if (stored.length >= 32) return stored;
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, fresh, { mode: 0o600 });
  return fresh;
}

main().catch((error: unknown) => {
  void shutdown(1, error instanceof Error ? error.message : String(error));
});
