/**
 * A tiny local stand-in for the AWS endpoints the handlers call besides
 * DynamoDB, so the benchmark can count them without the network:
 *
 * - `GET /dev/.well-known/jwks.json`: the local issuer's JWKS (auth.ts fetches
 *   JWKS over plain http only from loopback addresses);
 * - `POST|DELETE /prod/@connections/{id}`: API Gateway's `@connections` API
 *   (200 for connections registered with `accept()`, 410 GoneException otherwise);
 * - `POST /events` with `X-Amz-Target: AWSEvents.PutEvents`: EventBridge
 *   (AWS JSON 1.1, every entry accepted);
 * - `X-Amz-Target: AmazonSQS.SendMessage`: the fan-out queue (SQS FIFO, AWS
 *   JSON 1.0); the jobs are kept so the benchmark can run the fan-out worker
 *   on them like the SQS event source would.
 *
 * Every call is counted with its arrival time (`performance.now()`, the same
 * clock as the DynamoDB request recorder, since this server runs in the
 * benchmark's own process).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface FakeAwsCounters {
  /** Arrival times of successful PostToConnection calls. */
  posts: number[];
  /** PostToConnection calls answered 410 (unknown connection). */
  gone: number;
  /** DeleteConnection calls. */
  deletes: number;
  putEventsCalls: number;
  putEventsEntries: number;
  /** Arrival times of PutEvents calls. */
  putEventsTimes: number[];
  /** SQS SendMessage calls (fan-out jobs). */
  queueSends: number;
  /** Arrival times of SQS SendMessage calls: for a queued chat, the fan-out starts there. */
  queueSendTimes: number[];
  /** Anything else (should stay 0). */
  unexpected: string[];
}

/** A message sent to the fake SQS queue. */
export interface QueuedJob {
  messageId: string;
  body: string;
  groupId?: string;
  deduplicationId?: string;
  sequenceNumber: string;
  queueUrl: string;
  sentAt: number;
}

export interface FakeAws {
  baseUrl: string;
  wsEndpoint: string;
  eventsEndpoint: string;
  jwksPath: string;
  counters: FakeAwsCounters;
  setJwks(jwks: unknown): void;
  /** Connection ids that `@connections` answers 200 for. */
  accept(connectionId: string): void;
  forget(connectionId: string): void;
  /** Base URL for `SQS_ENDPOINT` and the queue URL prefix. */
  sqsEndpoint: string;
  reset(): void;
  /** Queued fan-out jobs not taken yet (kept across `reset()`). */
  takeJobs(): QueuedJob[];
  close(): Promise<void>;
}

const emptyCounters = (): FakeAwsCounters => ({
  posts: [],
  gone: 0,
  deletes: 0,
  putEventsCalls: 0,
  putEventsEntries: 0,
  putEventsTimes: [],
  queueSends: 0,
  queueSendTimes: [],
  unexpected: [],
});

const CONNECTIONS = /^\/prod\/@connections\/([^/?]+)/;

export async function startFakeAws(): Promise<FakeAws> {
  let jwks: unknown = { keys: [] };
  const accepted = new Set<string>();
  let counters = emptyCounters();
  let jobs: QueuedJob[] = [];
  let sequence = 0;

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const arrived = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const body = Buffer.concat(chunks).toString('utf8');
      const target = String(req.headers['x-amz-target'] ?? '');
      const connection = CONNECTIONS.exec(url);
      if (req.method === 'GET' && url.startsWith('/dev/.well-known/jwks.json')) {
        return send(res, 200, JSON.stringify(jwks), 'application/json');
      }
      if (connection && req.method === 'POST') {
        const id = decodeURIComponent(connection[1]);
        if (!accepted.has(id)) {
          counters.gone++;
          res.setHeader('x-amzn-errortype', 'GoneException');
          return send(res, 410, JSON.stringify({ message: `Connection ${id} is gone` }), 'application/json');
        }
        counters.posts.push(arrived);
        return send(res, 200, '', undefined);
      }
      if (connection && req.method === 'DELETE') {
        counters.deletes++;
        accepted.delete(decodeURIComponent(connection[1]));
        return send(res, 204, '', undefined);
      }
      if (req.method === 'POST' && target === 'AWSEvents.PutEvents') {
        let entries: unknown[] = [];
        try {
          entries = (JSON.parse(body) as { Entries?: unknown[] }).Entries ?? [];
        } catch {
          // counted as a call with no entries
        }
        counters.putEventsCalls++;
        counters.putEventsEntries += entries.length;
        counters.putEventsTimes.push(arrived);
        return send(
          res,
          200,
          JSON.stringify({ FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) }),
          'application/x-amz-json-1.1',
        );
      }
      if (req.method === 'POST' && target === 'AmazonSQS.SendMessage') {
        const input = JSON.parse(body || '{}') as { QueueUrl?: string; MessageBody?: string; MessageGroupId?: string; MessageDeduplicationId?: string };
        const messageBody = input.MessageBody ?? '';
        const job: QueuedJob = {
          messageId: randomUUID(),
          body: messageBody,
          groupId: input.MessageGroupId,
          deduplicationId: input.MessageDeduplicationId,
          sequenceNumber: String(++sequence).padStart(20, '0'),
          queueUrl: input.QueueUrl ?? '',
          sentAt: Date.now(),
        };
        jobs.push(job);
        counters.queueSendTimes.push(job.sentAt);
        counters.queueSends++;
        return send(
          res,
          200,
          JSON.stringify({
            MessageId: job.messageId,
            MD5OfMessageBody: createHash('md5').update(messageBody, 'utf8').digest('hex'),
            SequenceNumber: job.sequenceNumber,
          }),
          'application/x-amz-json-1.0',
        );
      }
      counters.unexpected.push(`${req.method} ${url} ${target}`.trim());
      return send(res, 404, JSON.stringify({ message: 'Not Found' }), 'application/json');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    wsEndpoint: `${baseUrl}/prod`,
    eventsEndpoint: `${baseUrl}/events`,
    sqsEndpoint: baseUrl,
    jwksPath: '/dev/.well-known/jwks.json',
    get counters() {
      return counters;
    },
    setJwks: (value) => {
      jwks = value;
    },
    accept: (id) => void accepted.add(id),
    forget: (id) => void accepted.delete(id),
    reset: () => {
      counters = emptyCounters();
    },
    takeJobs: () => {
      const taken = jobs;
      jobs = [];
      return taken;
    },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: string, contentType: string | undefined) {
  const headers: Record<string, string> = { 'content-length': String(Buffer.byteLength(body)), 'x-amzn-requestid': randomUUID() };
  if (contentType) headers['content-type'] = contentType;
  res.writeHead(status, headers);
  res.end(body);
}
