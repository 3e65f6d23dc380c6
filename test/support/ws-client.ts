/**
 * A small WebSocket client for tests, around `ws`.
 *
 * Every text frame received is parsed (JSON; the raw string if it is not
 * JSON) and kept in a mailbox; `next(predicate)` takes the first matching
 * frame out of it, waiting if none has arrived yet, so frames that arrive
 * before the test asks for them are never lost.
 *
 * On the run's local stack every frame sent and received goes through the
 * contract check (`contract.ts`): a frame the route table does not document
 * fails the test when it ends, naming the route and the field.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { recordViolation, underContract, wsContract } from './contract';

export type Frame = any;

export interface WsClient {
  ws: WebSocket;
  /** Every frame received so far, in order (also those already taken by `next`). */
  received: Frame[];
  /** Sends an object as JSON, or a string/Buffer as is (a Buffer as a binary frame). */
  send(frame: object | string | Buffer): void;
  /**
   * Resolves with (and removes from the mailbox) the first frame matching
   * `predicate` (default: any frame). Rejects after `timeoutMs` (default 5000)
   * with the frames seen, or when the connection closes first.
   */
  next(predicate?: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Resolves true if no frame matching `predicate` arrives within `ms` (matching frames stay in the mailbox). */
  quiet(predicate?: (frame: Frame) => boolean, ms?: number): Promise<boolean>;
  /**
   * Sends `{action, requestId, ...payload}` with a unique `requestId` and
   * resolves with the answer carrying that `requestId` (`ack`, `error`, `pong`, …).
   */
  request(action: string, payload?: object, timeoutMs?: number): Promise<Frame>;
  /** Resolves when the connection is closed. */
  closed: Promise<{ code: number; reason: string }>;
  /** Closes (code 1000 by default) and resolves with the close code and reason. */
  close(code?: number): Promise<{ code: number; reason: string }>;
}

/** The upgrade was refused: `status` is the HTTP status API Gateway (or the gateway) answered, with its body and headers. */
export class RefusedError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: Record<string, string | string[] | undefined> = {},
  ) {
    super(`WebSocket upgrade refused with HTTP ${status}: ${body}`);
    this.name = 'RefusedError';
  }
}

function withToken(url: string, token?: string) {
  if (token === undefined) return url;
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

/**
 * Opens `{wsUrl}?token={token}` (token omitted: `wsUrl` as given). Rejects
 * with {@link RefusedError} when the upgrade is refused.
 */
export function connect(wsUrl: string, token?: string, options: { timeoutMs?: number; contract?: boolean } = {}): Promise<WsClient> {
  const ws = new WebSocket(withToken(wsUrl, token));
  const contract = (options.contract ?? underContract(wsUrl)) ? wsContract() : undefined;
  const received: Frame[] = [];
  const mailbox: Frame[] = [];
  const waiters = new Set<{ predicate: (frame: Frame) => boolean; resolve: (frame: Frame) => void }>();
  const closeListeners = new Set<(info: { code: number; reason: string }) => void>();
  let closeInfo: { code: number; reason: string } | undefined;

  ws.on('message', (data, isBinary) => {
    const text = Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data as ArrayBuffer).toString();
    let frame: Frame = text;
    if (!isBinary) {
      try {
        frame = JSON.parse(text);
      } catch {
        // keep the raw text
      }
    }
    received.push(frame);
    if (contract) recordViolation(isBinary ? 'WebSocket binary frame: the API sends only JSON text frames' : contract.received(frame));
    for (const waiter of waiters) {
      if (waiter.predicate(frame)) {
        waiters.delete(waiter);
        waiter.resolve(frame);
        return;
      }
    }
    mailbox.push(frame);
  });

  const closed = new Promise<{ code: number; reason: string }>((done) => {
    ws.on('close', (code, reason) => {
      closeInfo = { code, reason: reason.toString() };
      for (const listener of closeListeners) listener(closeInfo);
      done(closeInfo);
    });
  });
  ws.on('error', () => undefined); // surfaced through open/close

  const describe = () => JSON.stringify(received.slice(-5)).slice(0, 2000);

  const client: WsClient = {
    ws,
    received,
    send(frame) {
      contract?.sent(frame);
      if (Buffer.isBuffer(frame)) ws.send(frame, { binary: true });
      else ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    },
    next(predicate = () => true, timeoutMs = 5000) {
      const index = mailbox.findIndex(predicate);
      if (index >= 0) return Promise.resolve(mailbox.splice(index, 1)[0]);
      return new Promise((resolve, reject) => {
        const fail = (why: string) => {
          waiters.delete(waiter);
          closeListeners.delete(onClose);
          clearTimeout(timer);
          reject(new Error(`${why}; last frames: ${describe()}`));
        };
        const waiter = {
          predicate,
          resolve: (frame: Frame) => {
            clearTimeout(timer);
            closeListeners.delete(onClose);
            resolve(frame);
          },
        };
        const onClose = (info: { code: number; reason: string }) => fail(`connection closed (${info.code} ${info.reason}) before a matching frame arrived`);
        const timer = setTimeout(() => fail(`no matching frame within ${timeoutMs} ms`), timeoutMs);
        if (closeInfo) return onClose(closeInfo);
        waiters.add(waiter);
        closeListeners.add(onClose);
      });
    },
    async quiet(predicate = () => true, ms = 300) {
      await new Promise((r) => setTimeout(r, ms));
      return !mailbox.some(predicate);
    },
    request(action, payload = {}, timeoutMs = 5000) {
      const requestId = `t-${randomUUID()}`;
      const answer = client.next((frame) => frame && typeof frame === 'object' && frame.requestId === requestId, timeoutMs);
      client.send({ ...payload, action, requestId });
      return answer;
    },
    closed,
    async close(code = 1000) {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code);
      return closed;
    },
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`WebSocket connect to ${wsUrl} timed out`));
    }, options.timeoutMs ?? 10_000);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(client);
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        ws.terminate();
        reject(new RefusedError(res.statusCode ?? 0, body, res.headers));
      });
      res.on('error', () => reject(new RefusedError(res.statusCode ?? 0, body, res.headers)));
    });
    ws.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * Opens `url` (token already in it, or absent) expecting the upgrade to be
 * refused; resolves with the HTTP status (e.g. 401). Rejects if the connection opens.
 */
export async function connectExpectRefusal(url: string, token?: string): Promise<number> {
  return (await refusal(url, token)).status;
}

/** Opens `url` expecting the upgrade to be refused; resolves with the refusal (status, headers, body). */
export async function refusal(url: string, token?: string): Promise<RefusedError> {
  try {
    const client = await connect(url, token);
    await client.close();
  } catch (error) {
    if (error instanceof RefusedError) return error;
    throw error;
  }
  throw new Error(`Expected the WebSocket upgrade to ${url} to be refused, but it opened`);
}
