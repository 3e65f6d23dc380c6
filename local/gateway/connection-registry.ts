/**
 * The open WebSocket connections of the local gateway, by `connectionId`:
 * the one piece of state its WebSocket API (which opens and closes them) and
 * its `@connections` API (which posts to, describes and deletes them) share.
 * API Gateway keeps the same table on its side.
 */
import { WebSocket } from 'ws';
import type { WsConnection } from './events';

/** One client connection. Mutable fields are the WebSocket API's to update. */
export interface Connection {
  id: string;
  ws: WebSocket;
  /** Epoch ms. */
  connectedAt: number;
  /** Epoch ms of the last frame or ping from the client (`GetConnection`'s `lastActiveAt`, the idle timer). */
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string;
  /** `Host` of the upgrade request, as API Gateway's `domainName`. */
  domainName: string;
  /** Set once the socket closed; the connection is then out of the registry. */
  closed: boolean;
  idleTimer?: NodeJS.Timeout;
  maxTimer?: NodeJS.Timeout;
}

/** The connection as the WebSocket event builders describe it. */
export function describeConnection(connection: Connection): WsConnection {
  const { id, connectedAt, domainName, sourceIp, userAgent } = connection;
  return { connectionId: id, connectedAt, domainName, sourceIp, userAgent };
}

export class ConnectionRegistry {
  private readonly byId = new Map<string, Connection>();

  add(connection: Connection): void {
    this.byId.set(connection.id, connection);
  }

  remove(connection: Connection): void {
    if (this.byId.get(connection.id) === connection) this.byId.delete(connection.id);
  }

  /** The connection when it exists and its socket is still open (else `@connections` answers 410 Gone). */
  open(id: string): Connection | undefined {
    const connection = this.byId.get(id);
    return connection && !connection.closed && connection.ws.readyState === WebSocket.OPEN ? connection : undefined;
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  all(): Connection[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }
}

/** Sends a text frame; resolves false when the connection is no longer open (the caller answers 410). */
export function sendText(connection: Connection, data: string | Buffer): Promise<boolean> {
  if (connection.closed || connection.ws.readyState !== WebSocket.OPEN) return Promise.resolve(false);
  return new Promise((done) => connection.ws.send(data, { binary: false }, (error) => done(!error)));
}

/** Starts the closing handshake; a client that never answers it is cut off after 2 s. */
export function closeConnection(connection: Connection, code: number, reason: string): void {
  if (connection.closed) return;
  connection.ws.close(code, reason);
  // A client that never answers the closing handshake must not keep the connection (and its $disconnect) pending.
  setTimeout(() => connection.ws.terminate(), 2000).unref();
}
