/**
 * A local stand-in for the two API Gateway APIs the CDK stack deploys,
 * assembled from one module per concern (`local/gateway/`):
 *
 * - `lambda-host.ts`: loads the route table's handler modules and invokes
 *   them as Lambda would (context, invocation scope, integration timeout);
 * - `http-api.ts`: the HTTP API (payload format 2.0) on the public port;
 * - `websocket-api.ts`: the WebSocket API at `/ws` on the same port
 *   (`$connect`, `$disconnect`, `$default`, action routes on
 *   `$request.body.action`);
 * - `connection-registry.ts`: the open connections, the state the WebSocket
 *   API and `@connections` share;
 * - `connections-api.ts`: the `@connections` management API, on a second
 *   port that only the handlers learn (`WS_ENDPOINT`);
 * - `dev-routes.ts`: local-only `/dev/*` routes and static assets;
 * - `events.ts`, `frames.ts`, `http-io.ts`: event builders, the frame header
 *   reader, HTTP plumbing.
 *
 * API Gateway's quotas and CORS come from `functions/api-gateway.ts`, which
 * the CDK stack reads too.
 *
 * It mirrors API Gateway where a handler could tell the difference (event
 * shapes, limits, error bodies, timeouts) so that code which works here works
 * on AWS. Both ports listen on 127.0.0.1 only.
 *
 * Start-up is two steps, so that the ports are known (and a taken port fails)
 * before any handler module is imported: {@link bindGateway} listens (every
 * request answers 503 meanwhile), then {@link BoundGateway.start} loads the
 * handlers and serves them. Handlers read their configuration (`WS_ENDPOINT`
 * = {@link GatewayAddresses.connectionsUrl}) when imported, so the caller sets
 * it in between. {@link startGateway} does both at once.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { httpRoutes as defaultHttpRoutes, wsRoutes as defaultWsRoutes } from '../functions/routes';
import { ConnectionRegistry } from './gateway/connection-registry';
import { createConnectionsApi } from './gateway/connections-api';
import { DevRoutes, type DevRoute, type DevRouteHandler, type StaticAsset } from './gateway/dev-routes';
import type { Forwarded } from './gateway/events';
import { createHttpApi, DEFAULT_CORS, type CorsConfig, type GatewayHttpRoute } from './gateway/http-api';
import { refuseUpgrade, sendJson } from './gateway/http-io';
import { createLambdaHost, type HandlerLoader } from './gateway/lambda-host';
import {
  HTTP_INTEGRATION_TIMEOUT_MS,
  HTTP_MAX_BODY_BYTES,
  WS_IDLE_TIMEOUT_MS,
  WS_INTEGRATION_TIMEOUT_MS,
  WS_MAX_CONNECTION_MS,
} from '../functions/api-gateway';
import { createWebSocketApi, type GatewayWsRoute } from './gateway/websocket-api';
import { invocationScope } from './invocations';

export type { DevRequest, DevResponse, DevRoute, DevRouteHandler, StaticAsset } from './gateway/dev-routes';
export { frameSizes, type FrameSizes } from './gateway/frames';
export type { CorsConfig, GatewayHttpRoute } from './gateway/http-api';
export type { HandlerLoader, LambdaHandler } from './gateway/lambda-host';
// API Gateway's quotas are written once, in functions/api-gateway.ts (the CDK stack reads them too).
export {
  HTTP_INTEGRATION_TIMEOUT_MS,
  HTTP_MAX_BODY_BYTES,
  WS_IDLE_TIMEOUT_MS,
  WS_INTEGRATION_TIMEOUT_MS,
  WS_MAX_CONNECTION_MS,
  WS_MAX_FRAME_BYTES,
  WS_MAX_MESSAGE_BYTES,
} from '../functions/api-gateway';
export { selectRoute, type GatewayWsRoute } from './gateway/websocket-api';

/** The only address the gateway listens on: it is a development server, never exposed to the network. */
const HOST = '127.0.0.1';

export interface BindOptions {
  /** The public port (HTTP API and WebSocket); 0 picks a free one. */
  port: number;
  /** The `@connections` port; default 0, a free one (only the handlers need to know it). */
  connectionsPort?: number;
  /** WebSocket path, default `/ws`. */
  wsPath?: string;
  /** Log one line per HTTP request, WebSocket event and `@connections` post. */
  logRequests?: boolean;
  /** Where errors (handler failures) and warnings go. Default: stderr. */
  log?: (line: string) => void;
}

export interface ServeOptions {
  /** Repository root the routes' `handler` paths are relative to. Default `process.cwd()`. */
  root?: string;
  /** Default: `httpRoutes` of `functions/routes.ts`. */
  httpRoutes?: readonly GatewayHttpRoute[];
  /** Default: `wsRoutes` of `functions/routes.ts`. */
  wsRoutes?: readonly GatewayWsRoute[];
  /** Default: dynamic `import()` of the entry file (cached per file). */
  loadHandler?: HandlerLoader;
  /** Load every handler before serving (default true), so a broken handler fails startup instead of its first request. */
  eager?: boolean;
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
  /** Region used in function ARNs of the Lambda context. Default env `AWS_REGION` or `us-east-1`. */
  region?: string;
  /** Overrides of the HTTP API CORS configuration. */
  cors?: Partial<CorsConfig>;
}

export type GatewayOptions = BindOptions & ServeOptions;

export interface GatewayAddresses {
  /** `http://127.0.0.1:{port}` */
  url: string;
  /** `ws://127.0.0.1:{port}/ws` */
  wsUrl: string;
  port: number;
  /** `http://127.0.0.1:{connectionsPort}`: the `@connections` endpoint, the handlers' `WS_ENDPOINT`. */
  connectionsUrl: string;
  connectionsPort: number;
}

/** Listening, not serving yet: every request answers 503 until {@link BoundGateway.start}. */
export interface BoundGateway extends GatewayAddresses {
  /** Loads the handlers (rejecting, still bound, when one fails to load) and starts serving. Once only. */
  start(options?: ServeOptions): Promise<Gateway>;
  /** Same as {@link Gateway.close}. */
  close(): Promise<void>;
}

export interface Gateway extends GatewayAddresses {
  /** Registers a local-only route (path must start with `/dev/`); replaces an existing one with the same method and path. */
  addDevRoute(method: string, path: string, handler: DevRouteHandler): void;
  /** Ids of the open WebSocket connections. */
  connectionIds(): string[];
  /** Closes every WebSocket (1001, `$disconnect` fired and awaited), then both servers. Idempotent. */
  close(): Promise<void>;
}

/** Binds the public and the `@connections` port on 127.0.0.1; rejects (nothing left listening) when either is taken. */
export async function bindGateway(options: BindOptions): Promise<BoundGateway> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const logRequests = options.logRequests ?? false;
  const wsPath = options.wsPath ?? '/ws';
  const registry = new ConnectionRegistry();

  let onRequest: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let onUpgrade: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | undefined;
  const server = createServer((req, res) => {
    if (onRequest) onRequest(req, res);
    else sendJson(res, 503, { message: 'Service Unavailable' });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (onUpgrade) onUpgrade(req, socket, head);
    else {
      socket.on('error', () => undefined);
      refuseUpgrade(socket, 503, JSON.stringify({ message: 'Service Unavailable' }));
    }
  });
  const manageConnection = createConnectionsApi({ registry, logRequests, log });
  const connectionsServer = createServer((req, res) => {
    manageConnection(req, res).catch((error) => {
      log(`gateway: @connections internal error: ${error instanceof Error ? error.stack : String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  });

  const port = await listen(server, options.port);
  let connectionsPort: number;
  try {
    connectionsPort = await listen(connectionsServer, options.connectionsPort ?? 0);
  } catch (error) {
    await new Promise((done) => server.close(done));
    throw error;
  }
  for (const s of [server, connectionsServer]) s.on('error', (error) => log(`gateway: server error: ${error.message}`));

  const addresses: GatewayAddresses = {
    url: `http://${HOST}:${port}`,
    wsUrl: `ws://${HOST}:${port}${wsPath}`,
    port,
    connectionsUrl: `http://${HOST}:${connectionsPort}`,
    connectionsPort,
  };
  // API Gateway listens on 443; locally the forwarded port is the one the gateway bound.
  const forwarded: Forwarded = { port, proto: 'http' };
  const devRoutes = new DevRoutes();
  let closeWebSockets: () => Promise<void> = async () => undefined;

  let closePromise: Promise<void> | undefined;
  const close = () =>
    (closePromise ??= (async () => {
      const stopListening = new Promise<void>((done) => server.close(() => done()));
      // `$disconnect` handlers still post to `@connections` (presence), so that server closes last.
      await closeWebSockets();
      server.closeAllConnections();
      await stopListening;
      await new Promise<void>((done) => {
        connectionsServer.close(() => done());
        connectionsServer.closeAllConnections();
      });
    })());

  const gateway: Gateway = {
    ...addresses,
    addDevRoute: (method, path, handler) => devRoutes.add(method, path, handler),
    connectionIds: () => registry.ids(),
    close,
  };

  let started = false;
  return {
    ...addresses,
    close,
    async start(serve = {}) {
      if (started) throw new Error('The gateway is already started');
      started = true;
      const host = createLambdaHost({
        root: serve.root ?? process.cwd(),
        loadHandler: serve.loadHandler,
        region: serve.region ?? process.env.AWS_REGION ?? 'us-east-1',
        scope: await invocationScope(),
        log,
      });
      const httpRoutes = serve.httpRoutes ?? defaultHttpRoutes;
      const wsRoutes = serve.wsRoutes ?? defaultWsRoutes;
      if (serve.eager ?? true) await host.loadAll([...httpRoutes, ...wsRoutes]);

      for (const route of serve.devRoutes ?? []) devRoutes.add(route.method, route.path, route.handler);
      const domainName = `${HOST}:${port}`;
      const webSocketApi = createWebSocketApi({
        routes: wsRoutes,
        host,
        registry,
        path: wsPath,
        timeoutMs: serve.wsTimeoutMs ?? WS_INTEGRATION_TIMEOUT_MS,
        idleTimeoutMs: serve.wsIdleTimeoutMs ?? envMs('WS_IDLE_TIMEOUT_MS') ?? WS_IDLE_TIMEOUT_MS,
        maxConnectionMs: serve.wsMaxConnectionMs ?? envMs('WS_MAX_CONNECTION_MS') ?? WS_MAX_CONNECTION_MS,
        domainName,
        forwarded,
        logRequests,
        log,
      });
      closeWebSockets = webSocketApi.close;
      onUpgrade = webSocketApi.upgrade;
      onRequest = createHttpApi({
        routes: httpRoutes,
        host,
        devRoutes,
        assets: serve.assets ?? [],
        cors: { ...DEFAULT_CORS, ...serve.cors },
        maxBodyBytes: serve.maxBodyBytes ?? HTTP_MAX_BODY_BYTES,
        timeoutMs: serve.httpTimeoutMs ?? HTTP_INTEGRATION_TIMEOUT_MS,
        domainName,
        forwarded,
        logRequests,
        log,
      });
      return gateway;
    },
  };
}

/**
 * Binds and starts in one step. Rejects, with nothing left listening, if a
 * port is taken or (with `eager`) a handler fails to load: the message then
 * lists every failing handler.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const bound = await bindGateway(options);
  try {
    return await bound.start(options);
  } catch (error) {
    await bound.close();
    throw error;
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, HOST, () => {
      server.off('error', fail);
      done((server.address() as AddressInfo).port);
    });
  });
}

function envMs(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of milliseconds, got ${JSON.stringify(raw)}`);
  return value;
}
