/**
 * The WebSocket API of the local gateway at `/ws`: the upgrade runs the
 * `$connect` route (a non-2xx answer refuses it with that status), frames are
 * routed on `$request.body.action` to the action routes or `$default`, a
 * two-way route's answer is sent back, and every connection that was
 * accepted gets exactly one `$disconnect`. Enforced as API Gateway does: the
 * 128 KB message and 32 KB frame limits (with an error frame instead of
 * closing, see the README), the 10-minute idle timeout and the 2-hour
 * maximum connection duration. Open connections live in the
 * {@link ConnectionRegistry} the `@connections` API reads.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { WS_MAX_FRAME_BYTES, WS_MAX_MESSAGE_BYTES } from '../../functions/api-gateway';
import { BadRequestError, PayloadTooLargeError, type AppError } from '../../functions/domain/errors';
import { errorFrameBody, parseFrame, requestIdOf } from '../../functions/lib/problem';
import { closeConnection, describeConnection, sendText, type Connection, type ConnectionRegistry } from './connection-registry';
import { apiId, wsConnectEvent, wsDisconnectEvent, wsMessageEvent, type Forwarded, type WsApi, type WsConnection } from './events';
import { frameSizes, type FrameSizes } from './frames';
import { clientIp, headerValue, refuseUpgrade, splitUrl } from './http-io';
import { asProxyResult, type LambdaHost } from './lambda-host';

/** The part of a `wsRoutes` entry the gateway needs. */
export interface GatewayWsRoute {
  name: string;
  /** `$connect`, `$disconnect`, `$default` or an `action` value. */
  routeKey: string;
  handler: string;
  /** Two-way route: the handler's `body` is sent back to the caller. */
  returnResponse: boolean;
}

export interface WebSocketApiOptions {
  routes: readonly GatewayWsRoute[];
  host: LambdaHost;
  registry: ConnectionRegistry;
  /** Default `/ws`. */
  path: string;
  timeoutMs: number;
  idleTimeoutMs: number;
  maxConnectionMs: number;
  /** `domainName` of an upgrade without a `Host` header. */
  domainName: string;
  forwarded: Forwarded;
  logRequests: boolean;
  log: (line: string) => void;
}

export interface WebSocketApi {
  /** The public server's `upgrade` listener. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * Refuses new connections (503), closes every open one (1001, terminated
   * after 5 s) and resolves once their `$disconnect` invocations have ended
   * (at most 5 s in all).
   */
  close(): Promise<void>;
}

/**
 * Frames above this are refused by the socket itself (close 1009). It is well
 * above {@link WS_MAX_MESSAGE_BYTES} so that oversize messages reach the
 * gateway and get a friendly error frame instead.
 */
const WS_MAX_PAYLOAD_BYTES = 1024 * 1024;

const WS_API: WsApi = { apiId: 'local', stage: 'local' };

export function createWebSocketApi(options: WebSocketApiOptions): WebSocketApi {
  const { host, registry, log, forwarded } = options;
  const byKey = new Map(options.routes.map((route) => [route.routeKey, route]));
  const actionKeys = new Set(options.routes.map((route) => route.routeKey).filter((key) => !key.startsWith('$')));
  const pendingDisconnects = new Set<Promise<unknown>>();
  const offeredProtocols = new WeakMap<IncomingMessage, string>();
  let closing = false;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: WS_MAX_PAYLOAD_BYTES,
    // API Gateway answers a subprotocol only if `$connect` returned `Sec-WebSocket-Protocol`.
    handleProtocols: (_protocols, req) => offeredProtocols.get(req) ?? false,
  });

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    const { path, query } = splitUrl(req.url ?? '/');
    if (path !== options.path && path !== `${options.path}/`) return refuseUpgrade(socket, 404, JSON.stringify({ message: 'Not Found' }));
    if (closing) return refuseUpgrade(socket, 503, JSON.stringify({ message: 'Service Unavailable' }));

    const base: WsConnection = {
      connectionId: apiId(),
      connectedAt: Date.now(),
      domainName: req.headers.host ?? options.domainName,
      sourceIp: clientIp(req),
      userAgent: req.headers['user-agent'] ?? '',
    };
    const event = wsConnectEvent({ api: WS_API, connection: base, rawHeaders: req.rawHeaders, rawQueryString: query, forwarded });

    const route = byKey.get('$connect');
    if (route) {
      const outcome = await host.invoke(route, event, options.timeoutMs);
      if (options.logRequests) log(`WS $connect ${base.connectionId} ${outcome.kind}`);
      if (outcome.kind !== 'ok') {
        host.logFailure(route.name, event.requestContext.requestId, outcome);
        return refuseUpgrade(socket, 500, JSON.stringify({ message: 'Internal server error' }));
      }
      const result = asProxyResult(outcome.value);
      const status = (result?.statusCode ?? 200) as number;
      if (status < 200 || status > 299) {
        return refuseUpgrade(socket, status, typeof result?.body === 'string' ? result.body : '', result?.headers);
      }
      const protocol = headerValue(result?.headers, 'sec-websocket-protocol');
      if (protocol) offeredProtocols.set(req, protocol);
    }

    if (socket.destroyed || closing) {
      // The handler may have stored the connection already, so it gets its `$disconnect`.
      fireDisconnect(base, 1006, closing ? 'Gateway shutting down' : 'Client disconnected during $connect');
      if (!socket.destroyed) refuseUpgrade(socket, 503, JSON.stringify({ message: 'Service Unavailable' }));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // `ws` has just attached its own 'data' listener and may emit 'message' synchronously from it
      // (allowSynchronousEvents), so the frame reader goes first: each message's frame sizes are
      // queued before `ws` can emit that message.
      const frames = frameSizes();
      socket.prependListener('data', (chunk: Buffer) => frames.push(chunk));
      onOpen(ws, base, frames);
    });
  }

  function onOpen(ws: WebSocket, base: WsConnection, frames: FrameSizes) {
    const connection: Connection = {
      id: base.connectionId,
      ws,
      connectedAt: base.connectedAt,
      lastActiveAt: Date.now(),
      sourceIp: base.sourceIp,
      userAgent: base.userAgent,
      domainName: base.domainName,
      closed: false,
    };
    registry.add(connection);
    armIdle(connection);
    connection.maxTimer = setTimeout(() => closeConnection(connection, 1001, 'Going away'), options.maxConnectionMs);
    connection.maxTimer.unref();

    ws.on('message', (data, isBinary) => {
      // Taken here, synchronously, so frame sizes and messages stay paired in order.
      const largestFrame = frames.next();
      onMessage(connection, data, isBinary, largestFrame).catch((error) => log(`gateway: message handling failed: ${error instanceof Error ? error.stack : String(error)}`));
    });
    ws.on('ping', () => {
      connection.lastActiveAt = Date.now();
    });
    ws.on('error', () => undefined); // 'close' follows
    ws.on('close', (code, reason) => onClose(connection, code, reason.toString()));
  }

  /** The idle timer is re-armed lazily (one timer per connection, not one per message). */
  function armIdle(connection: Connection) {
    const due = connection.lastActiveAt + options.idleTimeoutMs - Date.now();
    connection.idleTimer = setTimeout(() => {
      if (connection.closed) return;
      if (Date.now() - connection.lastActiveAt >= options.idleTimeoutMs) closeConnection(connection, 1001, 'Going away');
      else armIdle(connection);
    }, Math.max(due, 0));
    connection.idleTimer.unref();
  }

  /** `largestFrame`: the largest frame payload (bytes) the message arrived in, from {@link frameSizes}. */
  async function onMessage(connection: Connection, data: RawData, isBinary: boolean, largestFrame: number) {
    connection.lastActiveAt = Date.now();
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    // The error frames the API's own stack answers (functions/lib/problem.ts), with the frame's requestId when it can be read.
    const refuse = (error: AppError, text?: string) => sendText(connection, JSON.stringify(errorFrameBody(requestIdOf(parseFrame(text)), error)));
    if (isBinary) {
      await refuse(new BadRequestError('Binary frames are not supported; send JSON text frames.'));
      return;
    }
    if (bytes.length > WS_MAX_MESSAGE_BYTES) {
      // API Gateway would close the connection (1009); answering an error keeps clients simple and the connection usable.
      await refuse(new PayloadTooLargeError(`Message is ${bytes.length} bytes; the limit is ${WS_MAX_MESSAGE_BYTES} bytes (128 KB).`), bytes.toString('utf8'));
      return;
    }
    if (largestFrame > WS_MAX_FRAME_BYTES) {
      // Same choice as above: API Gateway closes with 1009; the error frame tells the client how to fix it.
      const detail = `A frame of ${largestFrame} bytes exceeds the ${WS_MAX_FRAME_BYTES}-byte (32 KB) frame limit; send messages above 32 KB as fragments of at most 32 KB each.`;
      await refuse(new PayloadTooLargeError(detail), bytes.toString('utf8'));
      return;
    }
    const body = bytes.toString('utf8');
    const route = byKey.get(selectRoute(body, actionKeys)) ?? byKey.get('$default');
    const event = wsMessageEvent({ api: WS_API, connection: describeConnection(connection), routeKey: route?.routeKey ?? '$default', body });
    const { requestContext } = event;
    if (!route) {
      // Without a $default route API Gateway answers this to unmatched messages.
      await sendText(connection, JSON.stringify({ message: 'Forbidden', connectionId: connection.id, requestId: requestContext.requestId }));
      return;
    }
    const outcome = await host.invoke(route, event, options.timeoutMs);
    if (options.logRequests) log(`WS ${route.routeKey} ${connection.id} ${outcome.kind}`);
    if (outcome.kind === 'error' || outcome.kind === 'timeout') {
      host.logFailure(route.name, requestContext.requestId, outcome);
      const message = outcome.kind === 'timeout' ? 'Endpoint request timed out' : 'Internal server error';
      await sendText(connection, JSON.stringify({ message, connectionId: connection.id, requestId: requestContext.requestId }));
      return;
    }
    if (!route.returnResponse) return;
    const result = asProxyResult(outcome.value);
    if (result?.body === undefined || result.body === null) return;
    await sendText(connection, typeof result.body === 'string' ? result.body : JSON.stringify(result.body));
  }

  function onClose(connection: Connection, code: number, reason: string) {
    if (connection.closed) return;
    connection.closed = true;
    clearTimeout(connection.idleTimer);
    clearTimeout(connection.maxTimer);
    registry.remove(connection);
    fireDisconnect(describeConnection(connection), code, reason);
  }

  function fireDisconnect(connection: WsConnection, code: number, reason: string) {
    const route = byKey.get('$disconnect');
    if (!route) return;
    const event = wsDisconnectEvent({ api: WS_API, connection, statusCode: code, reason, forwarded });
    const { requestContext } = event;
    const pending = host.invoke(route, event, options.timeoutMs).then((outcome) => {
      if (options.logRequests) log(`WS $disconnect ${connection.connectionId} ${outcome.kind}`);
      if (outcome.kind !== 'ok') host.logFailure(route.name, requestContext.requestId, outcome);
    });
    pendingDisconnects.add(pending);
    void pending.finally(() => pendingDisconnects.delete(pending));
  }

  return {
    upgrade(req, socket, head) {
      socket.on('error', () => undefined);
      onUpgrade(req, socket, head).catch((error) => {
        log(`gateway: upgrade failed: ${error instanceof Error ? error.stack : String(error)}`);
        refuseUpgrade(socket, 500, JSON.stringify({ message: 'Internal server error' }));
      });
    },

    async close() {
      closing = true;
      for (const connection of registry.all()) closeConnection(connection, 1001, 'Going away');
      const deadline = Date.now() + 5000;
      while (registry.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const connection of registry.all()) connection.ws.terminate();
      while ((registry.size || pendingDisconnects.size) && Date.now() < deadline) {
        if (pendingDisconnects.size) await Promise.race([Promise.all(pendingDisconnects), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
        else await new Promise((r) => setTimeout(r, 20));
      }
      wss.close();
    },
  };
}

/**
 * Route selection on `$request.body.action`: the action route when the body
 * is a JSON object whose `action` is one of `actionKeys`, else `$default`.
 */
export function selectRoute(body: string, actionKeys: ReadonlySet<string>): string {
  // Cheap pre-check: most frames are JSON objects; anything else cannot carry an action.
  if (!body.trimStart().startsWith('{')) return '$default';
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const action = (parsed as { action?: unknown }).action;
      if (typeof action === 'string' && actionKeys.has(action)) return action;
    }
  } catch {
    // bad JSON → $default
  }
  return '$default';
}
