/**
 * A local stand-in for the two API Gateway APIs the CDK stack deploys, on one
 * port:
 *
 * - the HTTP API (payload format 2.0): every route of `httpRoutes`, each
 *   served by the same handler module Lambda runs;
 * - the WebSocket API at `/ws`: `$connect`, `$disconnect`, `$default` and the
 *   action routes of `wsRoutes`, route selection `$request.body.action`;
 * - the WebSocket `@connections` management API the handlers post to
 *   (`WS_ENDPOINT=http://127.0.0.1:$PORT`);
 * - local-only `/dev/*` routes (token issuer, …), never part of the route table.
 *
 * It mirrors API Gateway where a handler could tell the difference (event
 * shapes, limits, error bodies, timeouts) so that code which works here works
 * on AWS. Limits cited below are API Gateway's documented quotas. The events
 * themselves come from `local/apigateway-events.ts`, which the bench uses too.
 */
import { randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { invocationScope } from './invocations';
import { httpRoutes as defaultHttpRoutes, pathPattern, wsRoutes as defaultWsRoutes } from '../functions/routes';
import {
  CORS,
  HTTP_INTEGRATION_TIMEOUT_MS,
  HTTP_MAX_BODY_BYTES,
  WS_IDLE_TIMEOUT_MS,
  WS_INTEGRATION_TIMEOUT_MS,
  WS_MAX_CONNECTION_MS,
  WS_MAX_FRAME_BYTES,
  WS_MAX_MESSAGE_BYTES,
} from '../functions/api-gateway';
import { type AppError, BadRequestError, PayloadTooLargeError } from '../functions/domain/errors';
import { errorFrameBody, parseFrame, requestIdOf } from '../functions/lib/problem';
import {
  apiId,
  httpEvent,
  randomHex,
  wsConnectEvent,
  wsDisconnectEvent,
  wsMessageEvent,
  type Forwarded,
  type WsApi,
  type WsConnection,
} from './apigateway-events';

// ------------------------------------------------------------------ limits

// API Gateway's quotas and CORS are written once, in functions/api-gateway.ts (the CDK stack reads them too).
export { HTTP_INTEGRATION_TIMEOUT_MS, HTTP_MAX_BODY_BYTES, WS_IDLE_TIMEOUT_MS, WS_INTEGRATION_TIMEOUT_MS, WS_MAX_CONNECTION_MS, WS_MAX_FRAME_BYTES, WS_MAX_MESSAGE_BYTES };
/**
 * Frames above this are refused by the socket itself (close 1009). It is well
 * above {@link WS_MAX_MESSAGE_BYTES} so that oversize messages reach the
 * gateway and get a friendly error frame instead.
 */
const WS_MAX_PAYLOAD_BYTES = 1024 * 1024;

// ------------------------------------------------------------------ types

/** The part of an `httpRoutes` entry the gateway needs. */
export interface GatewayHttpRoute {
  name: string;
  method: string;
  /** API Gateway path syntax, `{param}` segments. */
  path: string;
  /** Entry file relative to `root`, exporting `handler`. */
  handler: string;
}

/** The part of a `wsRoutes` entry the gateway needs. */
export interface GatewayWsRoute {
  name: string;
  /** `$connect`, `$disconnect`, `$default` or an `action` value. */
  routeKey: string;
  handler: string;
  /** Two-way route: the handler's `body` is sent back to the caller. */
  returnResponse: boolean;
}

/** A Lambda handler as the gateway invokes it. */
export type LambdaHandler = (event: any, context: Context) => unknown;

/** Resolves a route to its handler function; the default imports `{root}/{route.handler}` and takes its `handler` export. */
export type HandlerLoader = (route: { name: string; handler: string }) => Promise<LambdaHandler>;

export interface DevRequest {
  method: string;
  /** Decoded path parameters of the dev route's `{param}` segments. */
  params: Record<string, string>;
  path: string;
  query: URLSearchParams;
  /** Lower-cased names. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text(): string;
  /** Parses the body as JSON; throws on invalid JSON. */
  json(): unknown;
}

export interface DevResponse {
  status?: number;
  headers?: Record<string, string>;
  /** A string or Buffer is sent as is; anything else as JSON. */
  body?: unknown;
}

export type DevRouteHandler = (req: DevRequest) => DevResponse | Promise<DevResponse>;

export interface DevRoute {
  method: string;
  /** Must start with `/dev/`; `{param}` segments allowed. */
  path: string;
  handler: DevRouteHandler;
}

/**
 * A local-only static file (the web client, `local/web.ts`), answered to
 * `GET`/`HEAD` on exactly `path` when no route of the route table matches.
 */
export interface StaticAsset {
  /** Exact request path, e.g. `/` or `/app.js`. */
  path: string;
  contentType: string;
  body: string | Buffer;
}

export interface CorsConfig {
  allowOrigin: string;
  allowHeaders: string[];
  allowMethods: string[];
  exposeHeaders: string[];
  maxAgeSeconds: number;
}

export interface GatewayOptions {
  /** 0 picks a free port (see `Gateway.port`). */
  port: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Repository root the routes' `handler` paths are relative to. Default `process.cwd()`. */
  root?: string;
  /** Default: `httpRoutes` of `functions/routes.ts`. */
  httpRoutes?: readonly GatewayHttpRoute[];
  /** Default: `wsRoutes` of `functions/routes.ts`. */
  wsRoutes?: readonly GatewayWsRoute[];
  /** Default: dynamic `import()` of the entry file (cached per file). */
  loadHandler?: HandlerLoader;
  /** Load every handler before listening (default true), so a broken handler fails startup instead of its first request. */
  eager?: boolean;
  /**
   * With `eager`, a handler whose entry file does not exist yet only logs a
   * warning and its route answers 500 (default false: startup fails). Meant
   * for the phase where handlers are still being written.
   */
  allowMissingHandlers?: boolean;
  devRoutes?: DevRoute[];
  /** Local-only static files (the web client); route-table routes win over them. */
  assets?: readonly StaticAsset[];
  /** Default {@link HTTP_INTEGRATION_TIMEOUT_MS}. */
  httpTimeoutMs?: number;
  /** Default {@link WS_INTEGRATION_TIMEOUT_MS}. */
  wsTimeoutMs?: number;
  /** Default env `WS_IDLE_TIMEOUT_MS`, else {@link WS_IDLE_TIMEOUT_MS}. */
  wsIdleTimeoutMs?: number;
  /** Default env `WS_MAX_CONNECTION_MS`, else {@link WS_MAX_CONNECTION_MS}. */
  wsMaxConnectionMs?: number;
  /** Default {@link HTTP_MAX_BODY_BYTES}. */
  maxBodyBytes?: number;
  /** WebSocket path, default `/ws`. */
  wsPath?: string;
  /** Region used in function ARNs of the Lambda context. Default env `AWS_REGION` or `us-east-1`. */
  region?: string;
  /** Overrides of the HTTP API CORS configuration. */
  cors?: Partial<CorsConfig>;
  /** Log one line per HTTP request and WebSocket event. */
  logRequests?: boolean;
  /** Where errors (handler failures) and warnings go. Default: stderr. */
  log?: (line: string) => void;
}

export interface Gateway {
  /** `http://{host}:{port}` */
  url: string;
  /** `ws://{host}:{port}/ws` */
  wsUrl: string;
  port: number;
  /** Registers a local-only route (path must start with `/dev/`); replaces an existing one with the same method and path. */
  addDevRoute(method: string, path: string, handler: DevRouteHandler): void;
  /** Ids of the open WebSocket connections. */
  connectionIds(): string[];
  /** Closes every WebSocket (1001, `$disconnect` fired and awaited), then the server. Idempotent. */
  close(): Promise<void>;
}

interface Connection {
  id: string;
  ws: WebSocket;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string;
  domainName: string;
  closed: boolean;
  idleTimer?: NodeJS.Timeout;
  maxTimer?: NodeJS.Timeout;
}

function info(connection: Connection): WsConnection {
  const { id, connectedAt, domainName, sourceIp, userAgent } = connection;
  return { connectionId: id, connectedAt, domainName, sourceIp, userAgent };
}

type Outcome = { kind: 'ok'; value: unknown } | { kind: 'error'; error: unknown } | { kind: 'timeout' };

const DEFAULT_CORS: CorsConfig = { allowOrigin: '*', ...CORS, allowHeaders: [...CORS.allowHeaders], allowMethods: [...CORS.allowMethods], exposeHeaders: [...CORS.exposeHeaders] };

const ACCOUNT_ID = '000000000000';
const API_ID = 'local';
const WS_API: WsApi = { apiId: API_ID, stage: 'local' };
const CONNECTIONS_PATH = /^(?:\/[^/@]+)?\/@connections\/([^/]+)$/;

// ------------------------------------------------------------------ gateway

/**
 * Starts the gateway and resolves once it listens. Rejects (nothing left
 * listening) if a handler fails to load with `eager` (the message lists every
 * failing handler) or the port is taken.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const host = options.host ?? '127.0.0.1';
  const root = options.root ?? process.cwd();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const httpTimeoutMs = options.httpTimeoutMs ?? HTTP_INTEGRATION_TIMEOUT_MS;
  const wsTimeoutMs = options.wsTimeoutMs ?? WS_INTEGRATION_TIMEOUT_MS;
  const idleMs = options.wsIdleTimeoutMs ?? envMs('WS_IDLE_TIMEOUT_MS') ?? WS_IDLE_TIMEOUT_MS;
  const maxAgeMs = options.wsMaxConnectionMs ?? envMs('WS_MAX_CONNECTION_MS') ?? WS_MAX_CONNECTION_MS;
  const maxBodyBytes = options.maxBodyBytes ?? HTTP_MAX_BODY_BYTES;
  const wsPath = options.wsPath ?? '/ws';
  const cors: CorsConfig = { ...DEFAULT_CORS, ...options.cors };
  const inInvocation = await invocationScope();

  // ---------------------------------------------------------------- routes and handlers
  const httpRouteList = sortBySpecificity(options.httpRoutes ?? defaultHttpRoutes).map((route) => ({
    route,
    pattern: pathPattern(route.path),
    literal: !route.path.includes('{'),
  }));
  const wsRouteList = options.wsRoutes ?? defaultWsRoutes;
  let closing = false;
  const wsByKey = new Map(wsRouteList.map((route) => [route.routeKey, route]));
  const actionKeys = new Set(wsRouteList.map((route) => route.routeKey).filter((key) => !key.startsWith('$')));

  const loadHandler = options.loadHandler ?? importLoader(root);
  const handlers = new Map<string, Promise<LambdaHandler>>();
  const missing = new Set<string>();
  const handlerFor = (route: { name: string; handler: string }) => {
    let loaded = handlers.get(route.handler);
    if (!loaded) {
      loaded = loadHandler(route);
      handlers.set(route.handler, loaded);
      // A failed import is retried on the next request (e.g. after the file is fixed).
      loaded.catch(() => handlers.delete(route.handler));
    }
    return loaded;
  };

  if (options.eager ?? true) {
    const all = [...httpRouteList.map((entry) => entry.route), ...wsRouteList];
    const unique = [...new Map(all.map((route) => [route.handler, route])).values()];
    const failures: string[] = [];
    await Promise.all(
      unique.map(async (route) => {
        if (options.allowMissingHandlers && !options.loadHandler && !(await exists(resolve(root, route.handler)))) {
          missing.add(route.handler);
          return;
        }
        try {
          await handlerFor(route);
        } catch (error) {
          failures.push(`  - ${route.name} (${route.handler}): ${firstLine(error)}`);
        }
      }),
    );
    if (missing.size) log(`gateway: warning: ${missing.size} handler file(s) missing, their routes answer 500: ${[...missing].join(', ')}`);
    if (failures.length) throw new Error(`Could not load ${failures.length} handler(s):\n${failures.sort().join('\n')}`);
  }

  async function invoke(route: { name: string; handler: string }, event: unknown, timeoutMs: number): Promise<Outcome> {
    let fn: LambdaHandler;
    try {
      fn = await handlerFor(route);
    } catch (error) {
      return { kind: 'error', error };
    }
    const context = lambdaContext(route.name, timeoutMs, region);
    // One promise and one timer per invocation (this runs for every request and frame): the first of
    // the handler's outcome and the integration timeout wins.
    return new Promise<Outcome>((done) => {
      const timer = setTimeout(() => done({ kind: 'timeout' }), timeoutMs);
      const settle = (outcome: Outcome) => {
        clearTimeout(timer);
        done(outcome);
      };
      let result: unknown;
      try {
        result = inInvocation(context, () => fn(event, context));
      } catch (error) {
        settle({ kind: 'error', error });
        return;
      }
      Promise.resolve(result).then(
        (value) => settle({ kind: 'ok', value }),
        (error: unknown) => settle({ kind: 'error', error }),
      );
    });
  }

  function logFailure(what: string, requestId: string, outcome: Outcome) {
    if (outcome.kind === 'timeout') log(`gateway: ${what} timed out (requestId ${requestId})`);
    else if (outcome.kind === 'error') {
      const error = outcome.error;
      log(`gateway: ${what} failed (requestId ${requestId}): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }

  // ---------------------------------------------------------------- dev routes
  const devRoutes: { method: string; path: string; pattern: RegExp; handler: DevRouteHandler }[] = [];
  function addDevRoute(method: string, path: string, handler: DevRouteHandler) {
    if (!path.startsWith('/dev/')) throw new Error(`Dev routes must live under /dev/: ${path}`);
    const upper = method.toUpperCase();
    const index = devRoutes.findIndex((r) => r.method === upper && r.path === path);
    const entry = { method: upper, path, pattern: pathPattern(path), handler };
    if (index >= 0) devRoutes[index] = entry;
    else devRoutes.push(entry);
  }
  for (const route of options.devRoutes ?? []) addDevRoute(route.method, route.path, route.handler);
  const assets = new Map((options.assets ?? []).map((asset) => [asset.path, asset]));

  // ---------------------------------------------------------------- HTTP
  const server = createServer((req, res) => {
    if (options.logRequests) {
      const started = Date.now();
      res.once('finish', () => log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));
    }
    onRequest(req, res).catch((error) => {
      log(`gateway: internal error: ${error instanceof Error ? error.stack : String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  });

  async function onRequest(req: IncomingMessage, res: ServerResponse) {
    const requestId = apiId();
    res.setHeader('apigw-requestid', requestId);
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const rawQueryString = q === -1 ? '' : url.slice(q + 1);

    const management = CONNECTIONS_PATH.exec(rawPath);
    if (management) return manageConnection(req, res, method, safeDecode(management[1]));

    const origin = req.headers.origin;
    if (method === 'OPTIONS' && origin && req.headers['access-control-request-method']) {
      // The HTTP API answers preflights itself when CORS is configured; no route or Lambda is involved.
      res.writeHead(204, {
        'access-control-allow-origin': cors.allowOrigin,
        'access-control-allow-methods': cors.allowMethods.join(','),
        'access-control-allow-headers': cors.allowHeaders.join(','),
        'access-control-max-age': String(cors.maxAgeSeconds),
        ...(cors.exposeHeaders.length ? { 'access-control-expose-headers': cors.exposeHeaders.join(',') } : {}),
      });
      res.end();
      return;
    }
    if (origin) {
      res.setHeader('access-control-allow-origin', cors.allowOrigin);
      if (cors.exposeHeaders.length) res.setHeader('access-control-expose-headers', cors.exposeHeaders.join(','));
    }

    if (rawPath.startsWith('/dev/')) {
      for (const dev of devRoutes) {
        if (dev.method !== method) continue;
        const match = dev.pattern.exec(rawPath);
        if (!match) continue;
        const body = await readBody(req, maxBodyBytes);
        if (body === 'too_large') return sendJson(res, 413, { message: 'Request Entity Too Large' }, { connection: 'close' });
        return serveDev(dev.handler, req, res, method, rawPath, rawQueryString, decodeGroups(match.groups), body);
      }
    }

    let found: { route: GatewayHttpRoute; params?: Record<string, string> } | undefined;
    for (const entry of httpRouteList) {
      if (entry.route.method !== method && entry.route.method !== 'ANY') continue;
      if (entry.literal) {
        if (entry.route.path === rawPath) {
          found = { route: entry.route };
          break;
        }
        continue;
      }
      const match = entry.pattern.exec(rawPath);
      if (match) {
        found = { route: entry.route, params: decodeGroups(match.groups) };
        break;
      }
    }
    if (!found) {
      // The HTTP API has no 405: an unmatched method is an unmatched route.
      await drain(req);
      const asset = method === 'GET' || method === 'HEAD' ? assets.get(rawPath) : undefined;
      if (asset) return serveAsset(res, method, asset);
      return sendJson(res, 404, { message: 'Not Found' });
    }

    const body = await readBody(req, maxBodyBytes);
    if (body === 'too_large') return sendJson(res, 413, { message: 'Request Entity Too Large' }, { connection: 'close' });

    const event = httpEvent({
      accountId: ACCOUNT_ID,
      apiId: API_ID,
      route: found.route,
      method: req.method ?? 'GET',
      rawPath,
      rawQueryString,
      pathParameters: found.params,
      rawHeaders: req.rawHeaders,
      body,
      sourceIp: clientIp(req),
      defaultDomainName: `${host}:${boundPort}`,
      forwarded,
      protocol: `HTTP/${req.httpVersion}`,
      requestId,
    });
    if (missing.has(found.route.handler)) {
      log(`gateway: ${found.route.name}: handler file ${found.route.handler} does not exist (requestId ${requestId})`);
      return sendJson(res, 500, { message: 'Internal Server Error' });
    }
    const outcome = await invoke(found.route, event, httpTimeoutMs);
    if (outcome.kind === 'timeout') {
      logFailure(found.route.name, requestId, outcome);
      return sendJson(res, 503, { message: 'Service Unavailable' });
    }
    if (outcome.kind === 'error') {
      logFailure(found.route.name, requestId, outcome);
      return sendJson(res, 500, { message: 'Internal Server Error' });
    }
    writeHttpResult(res, outcome.value, Boolean(origin), (problem) => log(`gateway: ${found.route.name}: ${problem} (requestId ${requestId})`));
  }

  async function serveDev(
    handler: DevRouteHandler,
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
    rawQueryString: string,
    params: Record<string, string>,
    body: Buffer,
  ) {
    const request: DevRequest = {
      method,
      params,
      path,
      query: new URLSearchParams(rawQueryString),
      headers: req.headers,
      body,
      text: () => body.toString('utf8'),
      json: () => JSON.parse(body.toString('utf8')) as unknown,
    };
    let response: DevResponse;
    try {
      response = await handler(request);
    } catch (error) {
      log(`gateway: ${method} ${path} failed: ${error instanceof Error ? error.stack : String(error)}`);
      return sendJson(res, 500, { message: 'Internal Server Error' });
    }
    const status = response.status ?? 200;
    const headers = { ...response.headers };
    let payload: string | Buffer = '';
    if (typeof response.body === 'string' || Buffer.isBuffer(response.body)) payload = response.body;
    else if (response.body !== undefined) {
      payload = JSON.stringify(response.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    res.writeHead(status, headers);
    res.end(payload);
  }

  // ---------------------------------------------------------------- @connections
  async function manageConnection(req: IncomingMessage, res: ServerResponse, method: string, connectionId: string) {
    // The real API only accepts SigV4-signed calls; checking the signature itself would add nothing locally.
    if (!req.headers.authorization) {
      await drain(req);
      return errorReply(res, 403, 'ForbiddenException', 'Missing Authentication Token');
    }
    const connection = connections.get(connectionId);
    const open = connection && !connection.closed && connection.ws.readyState === WebSocket.OPEN ? connection : undefined;
    switch (method) {
      case 'POST': {
        // The hot path of every fan-out: one per event and connection.
        const body = await readBody(req, WS_MAX_MESSAGE_BYTES);
        if (body === 'too_large') return errorReply(res, 413, 'PayloadTooLargeException', `Message too long: the limit is ${WS_MAX_MESSAGE_BYTES} bytes`);
        if (!open || !(await sendText(open, body))) return errorReply(res, 410, 'GoneException', `Connection ${connectionId} is gone`);
        if (options.logRequests) log(`@connections POST ${connectionId} ${body.length}B`);
        res.writeHead(200, POSTED_HEADERS);
        res.end();
        return;
      }
      case 'GET':
        await drain(req);
        if (!open) return errorReply(res, 410, 'GoneException', `Connection ${connectionId} is gone`);
        // JSON member names are those of the service model (the SDK maps them to ConnectedAt, Identity, LastActiveAt).
        return sendJson(res, 200, {
          connectedAt: new Date(open.connectedAt).toISOString(),
          identity: { sourceIp: open.sourceIp, userAgent: open.userAgent },
          lastActiveAt: new Date(open.lastActiveAt).toISOString(),
        });
      case 'DELETE':
        await drain(req);
        if (!open) return errorReply(res, 410, 'GoneException', `Connection ${connectionId} is gone`);
        closeSocket(open, 1000, 'Connection deleted');
        res.writeHead(204);
        res.end();
        return;
      default:
        await drain(req);
        return sendJson(res, 404, { message: 'Not Found' });
    }
  }

  // ---------------------------------------------------------------- WebSocket
  const connections = new Map<string, Connection>();
  const pendingDisconnects = new Set<Promise<unknown>>();
  const offeredProtocols = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: WS_MAX_PAYLOAD_BYTES,
    // API Gateway answers a subprotocol only if `$connect` returned `Sec-WebSocket-Protocol`.
    handleProtocols: (_protocols, req) => offeredProtocols.get(req) ?? false,
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    onUpgrade(req, socket, head).catch((error) => {
      log(`gateway: upgrade failed: ${error instanceof Error ? error.stack : String(error)}`);
      refuseUpgrade(socket, 500, JSON.stringify({ message: 'Internal server error' }));
    });
  });

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path !== wsPath && path !== `${wsPath}/`) return refuseUpgrade(socket, 404, JSON.stringify({ message: 'Not Found' }));
    if (closing) return refuseUpgrade(socket, 503, JSON.stringify({ message: 'Service Unavailable' }));

    const base: WsConnection = {
      connectionId: apiId(),
      connectedAt: Date.now(),
      domainName: req.headers.host ?? `${host}:${boundPort}`,
      sourceIp: clientIp(req),
      userAgent: req.headers['user-agent'] ?? '',
    };
    const event = wsConnectEvent({ api: WS_API, connection: base, rawHeaders: req.rawHeaders, rawQueryString: q === -1 ? '' : url.slice(q + 1), forwarded });

    const route = wsByKey.get('$connect');
    if (route) {
      const outcome = await invoke(route, event, wsTimeoutMs);
      if (options.logRequests) log(`WS $connect ${base.connectionId} ${outcome.kind}`);
      if (outcome.kind !== 'ok') {
        logFailure(route.name, event.requestContext.requestId, outcome);
        return refuseUpgrade(socket, 500, JSON.stringify({ message: 'Internal server error' }));
      }
      const result = asResult(outcome.value);
      const status = result?.statusCode ?? 200;
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
    connections.set(connection.id, connection);
    armIdle(connection);
    connection.maxTimer = setTimeout(() => closeSocket(connection, 1001, 'Going away'), maxAgeMs);
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
    const due = connection.lastActiveAt + idleMs - Date.now();
    connection.idleTimer = setTimeout(() => {
      if (connection.closed) return;
      if (Date.now() - connection.lastActiveAt >= idleMs) closeSocket(connection, 1001, 'Going away');
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
    const route = wsByKey.get(selectRoute(body, actionKeys)) ?? wsByKey.get('$default');
    const event = wsMessageEvent({ api: WS_API, connection: info(connection), routeKey: route?.routeKey ?? '$default', body });
    const { requestContext } = event;
    if (!route) {
      // Without a $default route API Gateway answers this to unmatched messages.
      await sendText(connection, JSON.stringify({ message: 'Forbidden', connectionId: connection.id, requestId: requestContext.requestId }));
      return;
    }
    const outcome = await invoke(route, event, wsTimeoutMs);
    if (options.logRequests) log(`WS ${route.routeKey} ${connection.id} ${outcome.kind}`);
    if (outcome.kind === 'error' || outcome.kind === 'timeout') {
      logFailure(route.name, requestContext.requestId, outcome);
      const message = outcome.kind === 'timeout' ? 'Endpoint request timed out' : 'Internal server error';
      await sendText(connection, JSON.stringify({ message, connectionId: connection.id, requestId: requestContext.requestId }));
      return;
    }
    if (!route.returnResponse) return;
    const result = asResult(outcome.value);
    if (result?.body === undefined || result.body === null) return;
    await sendText(connection, typeof result.body === 'string' ? result.body : JSON.stringify(result.body));
  }

  function onClose(connection: Connection, code: number, reason: string) {
    if (connection.closed) return;
    connection.closed = true;
    clearTimeout(connection.idleTimer);
    clearTimeout(connection.maxTimer);
    connections.delete(connection.id);
    fireDisconnect(info(connection), code, reason);
  }

  function fireDisconnect(connection: WsConnection, code: number, reason: string) {
    const route = wsByKey.get('$disconnect');
    if (!route) return;
    const event = wsDisconnectEvent({ api: WS_API, connection, statusCode: code, reason, forwarded });
    const { requestContext } = event;
    const pending = invoke(route, event, wsTimeoutMs).then((outcome) => {
      if (options.logRequests) log(`WS $disconnect ${connection.connectionId} ${outcome.kind}`);
      if (outcome.kind !== 'ok') logFailure(route.name, requestContext.requestId, outcome);
    });
    pendingDisconnects.add(pending);
    void pending.finally(() => pendingDisconnects.delete(pending));
  }

  function closeSocket(connection: Connection, code: number, reason: string) {
    if (connection.closed) return;
    connection.ws.close(code, reason);
    // A client that never answers the closing handshake must not keep the connection (and its $disconnect) pending.
    setTimeout(() => connection.ws.terminate(), 2000).unref();
  }

  // ---------------------------------------------------------------- lifecycle
  let closePromise: Promise<void> | undefined;
  async function close() {
    closing = true;
    const stopListening = new Promise<void>((done) => server.close(() => done()));
    for (const connection of connections.values()) closeSocket(connection, 1001, 'Going away');
    const deadline = Date.now() + 5000;
    while (connections.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const connection of connections.values()) connection.ws.terminate();
    while ((connections.size || pendingDisconnects.size) && Date.now() < deadline) {
      if (pendingDisconnects.size) await Promise.race([Promise.all(pendingDisconnects), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
      else await new Promise((r) => setTimeout(r, 20));
    }
    wss.close();
    server.closeAllConnections();
    await stopListening;
  }

  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port, host, () => {
      server.off('error', fail);
      done();
    });
  });
  const boundPort = (server.address() as AddressInfo).port;
  // API Gateway listens on 443; locally the forwarded port is the one the gateway bound.
  const forwarded: Forwarded = { port: boundPort, proto: 'http' };
  server.on('error', (error) => log(`gateway: server error: ${error.message}`));

  return {
    url: `http://${host}:${boundPort}`,
    wsUrl: `ws://${host}:${boundPort}${wsPath}`,
    port: boundPort,
    addDevRoute,
    connectionIds: () => [...connections.keys()],
    close: () => (closePromise ??= close()),
  };
}

// ------------------------------------------------------------------ helpers (exported for tests)

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

/**
 * Largest frame payload (bytes) of each complete message a WebSocket client
 * sent, read from the frame headers of the raw socket bytes (RFC 6455 §5.2).
 * `ws` reassembles fragments and never exposes frame sizes, so the gateway
 * taps the same bytes ahead of it to enforce {@link WS_MAX_FRAME_BYTES}.
 */
export interface FrameSizes {
  /** Feeds socket bytes in arrival order; chunks may split frame headers anywhere. */
  push(chunk: Buffer): void;
  /**
   * Takes the largest frame payload of the oldest complete message not yet
   * taken; 0 when none is queued. Data frames only: control frames (ping,
   * pong, close; ≤ 125 bytes) may sit between fragments and are not counted.
   */
  next(): number;
}

/**
 * Creates a {@link FrameSizes} reader. It parses headers only (FIN, opcode,
 * 7/16/64-bit payload length, mask bit) and skips payloads without copying,
 * so it costs a few operations per frame. A 64-bit length above 2^53 loses
 * precision but still reads as far above any limit; `ws` closes such a
 * connection (1009) anyway.
 */
export function frameSizes(): FrameSizes {
  const header = Buffer.alloc(14); // 2 + 8 (64-bit length) + 4 (masking key): the longest header
  let headerBytes = 0;
  let skip = 0; // payload bytes of the current frame still to pass over
  let largest = 0; // largest data frame so far in the message being received
  const messages: number[] = [];

  /** Header length once its first two bytes are known. */
  const headerLength = () => {
    const length7 = header[1] & 0x7f;
    return 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (header[1] & 0x80 ? 4 : 0);
  };

  return {
    push(chunk) {
      let i = 0;
      while (i < chunk.length) {
        if (skip > 0) {
          const step = Math.min(skip, chunk.length - i);
          skip -= step;
          i += step;
          continue;
        }
        header[headerBytes++] = chunk[i++];
        if (headerBytes < 2 || headerBytes < headerLength()) continue;
        headerBytes = 0;
        const fin = (header[0] & 0x80) !== 0;
        const opcode = header[0] & 0x0f;
        const length7 = header[1] & 0x7f;
        const length = length7 === 126 ? header.readUInt16BE(2) : length7 === 127 ? Number(header.readBigUInt64BE(2)) : length7;
        skip = length;
        if (opcode >= 0x8) continue; // control frame
        if (length > largest) largest = length;
        if (fin) {
          messages.push(largest);
          largest = 0;
        }
      }
    },
    next: () => messages.shift() ?? 0,
  };
}

// ------------------------------------------------------------------ internals

function importLoader(root: string): HandlerLoader {
  return async (route) => {
    const file = resolve(root, route.handler);
    const module = (await import(pathToFileURL(file).href)) as { handler?: unknown; default?: { handler?: unknown } };
    const handler = module.handler ?? module.default?.handler;
    if (typeof handler !== 'function') throw new Error(`${route.handler} does not export a function named \`handler\``);
    return handler as LambdaHandler;
  };
}

/** Literal segments beat `{param}` segments, position by position, as in API Gateway's route matching. */
function sortBySpecificity<T extends { path: string }>(routes: readonly T[]): T[] {
  const rank = (path: string) => path.split('/').map((segment) => (segment.startsWith('{') ? 1 : 0));
  return [...routes].sort((a, b) => {
    const ra = rank(a.path);
    const rb = rank(b.path);
    for (let i = 0; i < Math.min(ra.length, rb.length); i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
    return 0;
  });
}

function writeHttpResult(res: ServerResponse, value: unknown, stripCors: boolean, problem: (text: string) => void) {
  const result = asResult(value);
  if (!result || result.statusCode === undefined) {
    // Payload v2: a result without statusCode is the JSON body of a 200.
    const body = typeof value === 'string' ? value : JSON.stringify(value ?? null);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  const status = result.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    problem(`invalid statusCode ${JSON.stringify(status)}`);
    return sendJson(res, 500, { message: 'Internal Server Error' });
  }
  if (result.body !== undefined && result.body !== null && typeof result.body !== 'string') {
    problem('the response body must be a string (JSON.stringify it)');
    return sendJson(res, 500, { message: 'Internal Server Error' });
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (value === undefined || value === null) continue;
    // With CORS configured, API Gateway ignores CORS headers returned by the integration.
    if (stripCors && name.toLowerCase().startsWith('access-control-')) continue;
    if (name.toLowerCase() === 'apigw-requestid') continue;
    res.setHeader(name, String(value));
  }
  if (Array.isArray(result.cookies) && result.cookies.length) res.appendHeader('set-cookie', result.cookies.map(String));
  const text = result.body ?? '';
  const body = result.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  res.setHeader('content-length', String(body.length));
  res.writeHead(status);
  res.end(body);
}

interface ResultShape {
  statusCode?: unknown;
  headers?: Record<string, unknown>;
  body?: unknown;
  isBase64Encoded?: boolean;
  cookies?: unknown[];
}

function asResult(value: unknown): (ResultShape & { statusCode?: number }) | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return value as ResultShape & { statusCode?: number };
}

function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name && value != null) return String(value);
  return undefined;
}

/** `no-cache`: the bundle is rebuilt on every stack start, so browsers must revalidate rather than reuse a stale copy. */
function serveAsset(res: ServerResponse, method: string, asset: StaticAsset) {
  const body = typeof asset.body === 'string' ? Buffer.from(asset.body, 'utf8') : asset.body;
  res.writeHead(200, {
    'content-type': asset.contentType,
    'content-length': String(body.length),
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  res.end(method === 'HEAD' ? undefined : body);
}

/** Answer of an accepted `@connections` POST (a flat header list: no per-request object). */
const POSTED_HEADERS = ['content-type', 'application/json', 'content-length', '0'];

/** `@connections` errors: `{message}` with the exception name in `x-amzn-errortype`, as the SDK expects. */
function errorReply(res: ServerResponse, status: number, type: string, message: string) {
  sendJson(res, status, { message }, { 'x-amzn-errortype': type });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function refuseUpgrade(socket: Duplex, status: number, body: string, headers?: Record<string, unknown>) {
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

/** Resolves false when the connection is no longer open (the caller answers 410). */
function sendText(connection: Connection, data: string | Buffer): Promise<boolean> {
  if (connection.closed || connection.ws.readyState !== WebSocket.OPEN) return Promise.resolve(false);
  return new Promise((done) => connection.ws.send(data, { binary: false }, (error) => done(!error)));
}

/**
 * Reads the body up to `limit` bytes. Over the limit it keeps draining (so the
 * client gets to read the 413) and answers `too_large`; a client that keeps
 * sending far beyond it is cut off.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
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

async function drain(req: IncomingMessage) {
  if (req.complete || req.readableEnded || req.destroyed) return;
  req.resume();
  await new Promise<void>((done) => {
    req.once('end', done);
    req.once('close', done);
  });
}

function unsupported(): never {
  throw new Error('The callback-style context.done/succeed/fail API is not supported; return a value or a promise.');
}

let dayCache = { epochDay: -1, text: '' };
/** `2026/11/21` (UTC) for log stream names; recomputed once a day, not per invocation. */
function logStreamDay(epochMs: number): string {
  const epochDay = Math.floor(epochMs / 86_400_000);
  if (epochDay !== dayCache.epochDay) dayCache = { epochDay, text: new Date(epochMs).toISOString().slice(0, 10).replace(/-/g, '/') };
  return dayCache.text;
}

function lambdaContext(functionName: string, timeoutMs: number, region: string): Context {
  const now = Date.now();
  const deadline = now + timeoutMs;
  const day = logStreamDay(now);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomHex(16)}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

function clientIp(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function decodeGroups(groups: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(groups ?? {})) out[key] = safeDecode(value);
  return out;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function envMs(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of milliseconds, got ${JSON.stringify(raw)}`);
  return value;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0];
}
