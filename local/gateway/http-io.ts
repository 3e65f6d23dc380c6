/**
 * The plain HTTP plumbing the gateway's servers share: reading bounded
 * bodies, JSON answers in API Gateway's shape, refusing a WebSocket upgrade
 * on the raw socket, and decoding what clients send.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** A JSON answer with exact `content-length` (API Gateway's own errors are `{"message": …}`). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/**
 * Reads the body up to `limit` bytes. Over the limit it keeps draining (so the
 * client gets to read the 413) and answers `too_large`; a client that keeps
 * sending far beyond it is cut off.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  return new Promise((done, fail) => {
    const declared = Number(req.headers['content-length']);
    let tooLarge = Number.isFinite(declared) && declared > limit;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (tooLarge) {
        chunks.length = 0;
        if (size > limit * 4 + 1024 * 1024) {
          req.destroy();
          done('too_large');
        }
        return;
      }
      chunks.push(chunk);
    });
    // Most bodies arrive in one chunk: no copy then.
    req.on('end', () => done(tooLarge ? 'too_large' : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    req.on('error', fail);
  });
}

/** Reads and discards the rest of a request body, so the answer can be read by clients that send one. */
export async function drain(req: IncomingMessage) {
  if (req.complete || req.readableEnded || req.destroyed) return;
  req.resume();
  await new Promise<void>((done) => {
    req.once('end', done);
    req.once('close', done);
  });
}

/** Answers an upgrade request with a plain HTTP response on the raw socket and closes it. */
export function refuseUpgrade(socket: Duplex, status: number, body: string, headers?: Record<string, unknown>) {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const contentType = headerValue(headers, 'content-type') ?? (body.trimStart().startsWith('{') ? 'application/json' : 'text/plain');
  const head =
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    `Content-Type: ${contentType}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `Connection: close\r\n\r\n`;
  socket.end(head + body, () => socket.destroy());
}

/** A header of a Lambda result's `headers` map, by lower-case `name`, whatever case the handler used. */
export function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name && value != null) return String(value);
  return undefined;
}

/** The client's address as API Gateway reports it (IPv4 without the `::ffff:` prefix). */
export function clientIp(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Splits a request URL into path and query string (without `?`; `''` when there is none). */
export function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q === -1 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

/** Percent-decodes the named groups of a route match (path parameters). */
export function decodeGroups(groups: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(groups ?? {})) out[key] = safeDecode(value);
  return out;
}

/** `decodeURIComponent`, or the value as sent when it is not valid percent-encoding. */
export function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
