/**
 * Starts the real local stack (`local/start.ts`) as a child process, for the
 * tests, the load test (`npm run load`) and scripts.
 *
 * Vitest's globalSetup (`./global-setup.ts`) starts one for the whole run and
 * provides its {@link StackInfo} as `inject('stack')`; tests call
 * {@link mintToken} with it. Tests that need a stack of their own (e.g. with a
 * short WebSocket idle timeout) call {@link startLocalStack} directly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Plain data (it crosses from the globalSetup process to the test workers). */
export interface StackInfo {
  /** `http://127.0.0.1:{port}` */
  baseUrl: string;
  /** `ws://127.0.0.1:{port}/ws` (append `?token=`) */
  wsUrl: string;
  /**
   * `http://127.0.0.1:{port}`: the `@connections` API the handlers post to
   * (`WS_ENDPOINT`), on a port of its own; tests use it to cut connections
   * from the server side. Undefined for an external stack started without
   * `CONNECTIONS_PORT`.
   */
  connectionsUrl?: string;
  dynamoEndpoint: string;
  tableName: string;
  bucketName: string;
  s3Endpoint: string;
  /** Credentials the local S3 server checks signatures with (DynamoDB Local accepts them too). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
}

export interface TokenOptions {
  name?: string;
  roles?: ('user' | 'support' | 'admin')[];
  email?: string;
  /** Seconds; negative mints an expired token. */
  expiresIn?: number;
  /** Security-suite fixtures (`local/issuer.ts` MintOptions): no `exp`, `iat` offset, extra claims. */
  noExpiry?: boolean;
  issuedIn?: number;
  claims?: Record<string, unknown>;
}

export interface LocalStack extends StackInfo {
  /** The stack's plain-data description, as provided to tests. */
  info: StackInfo;
  /** `POST /dev/token` → the JWT. */
  token(userId: string, options?: TokenOptions): Promise<string>;
  /** Everything the child wrote to stdout/stderr (last 20 000 characters). */
  output(): string;
  /** SIGTERM, then resolves when the child (and with it DynamoDB Local) has exited; SIGKILL after 20 s. */
  stop(): Promise<void>;
  /** Process id of the stack's Node process. */
  pid: number;
}

export interface StartOptions {
  /** Extra environment for the stack, e.g. `{ WS_IDLE_TIMEOUT_MS: '500' }`. */
  env?: Record<string, string>;
  tableName?: string;
  bucketName?: string;
  /** How long to wait for `GET /health` = 200. Default 60 000 ms. */
  timeoutMs?: number;
  /** Echo the stack's stderr (handler errors) to this process' stderr, prefixed `[stack]`. Default true. */
  forwardStderr?: boolean;
  /** Node options that NODE_OPTIONS refuses, e.g. `--cpu-prof` (before `--import tsx`). */
  nodeArgs?: string[];
}

/** Distinct free TCP ports on 127.0.0.1 (all held open until every one is known, so they differ). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((done, fail) => {
        server.once('error', fail);
        server.listen(0, '127.0.0.1', () => done());
      });
      ports.push((server.address() as { port: number }).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  }
}

/** Mints a token from the stack's issuer (`POST {baseUrl}/dev/token`). */
export async function mintToken(baseUrl: string, userId: string, options: TokenOptions = {}): Promise<string> {
  const res = await fetch(`${baseUrl}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, ...options }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST /dev/token answered ${res.status}: ${text}`);
  return (JSON.parse(text) as { token: string }).token;
}

/**
 * Spawns `node --import tsx local/start.ts` on free ports (in memory, no
 * DATA_DIR) and resolves once `GET /health` answers 200. Rejects, with the
 * child's output in the message, if it exits first or is not healthy within
 * `timeoutMs`. The child exits on its own if this process dies (its stdin closes).
 */
export async function startLocalStack(options: StartOptions = {}): Promise<LocalStack> {
  const [port, dynamoPort, s3Port, connectionsPort] = await freePorts(4);
  const tableName = options.tableName ?? 'chat-local';
  const bucketName = options.bucketName ?? 'chat-attachments-local';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    DYNAMODB_PORT: String(dynamoPort),
    S3_PORT: String(s3Port),
    CONNECTIONS_PORT: String(connectionsPort),
    TABLE_NAME: tableName,
    BUCKET_NAME: bucketName,
    EXIT_ON_STDIN_CLOSE: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...options.env,
  };
  if (!options.env?.DATA_DIR) delete env.DATA_DIR;
  // Vitest marks its workers with these; the stack is not a test process.
  delete env.VITEST;
  delete env.VITEST_WORKER_ID;
  delete env.VITEST_POOL_ID;
  delete env.NODE_ENV;

  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', 'local/start.ts'], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let ready = false;
  const forward = options.forwardStderr ?? true;
  child.stdout!.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-20_000);
    if (forward && ready) process.stderr.write(text.replace(/^(?=.)/gm, '[stack] '));
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });

  const baseUrl = `http://127.0.0.1:${port}`;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError) throw new Error(`Could not spawn the local stack: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`The local stack exited during startup (code ${child.exitCode ?? child.signalCode}):\n${output.trim()}`);
    }
    const status = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2000) }).then(
      (res) => (res.body?.cancel(), res.status),
      () => 0,
    );
    if (status === 200) break;
    if (Date.now() > deadline) {
      await stopChild(child, exited);
      throw new Error(`The local stack did not answer GET /health with 200 within ${timeoutMs} ms (last status ${status || 'none'}):\n${output.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  ready = true;

  const info: StackInfo = {
    baseUrl,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    connectionsUrl: `http://127.0.0.1:${connectionsPort}`,
    dynamoEndpoint: `http://127.0.0.1:${dynamoPort}`,
    tableName,
    bucketName,
    s3Endpoint: `http://127.0.0.1:${s3Port}`,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    region: 'us-east-1',
  };
  let stopping: Promise<void> | undefined;
  return {
    ...info,
    info,
    token: (userId, tokenOptions) => mintToken(baseUrl, userId, tokenOptions),
    output: () => output,
    stop: () => (stopping ??= stopChild(child, exited)),
    pid: child.pid!,
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>) {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
  child.stdin?.destroy();
}
