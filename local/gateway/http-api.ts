/**
 * The HTTP API (payload format 2.0) of the local gateway: route matching as
 * API Gateway does it (literal segments beat `{param}` segments, no 405), the
 * CORS configuration (preflights answered without a Lambda, integration CORS
 * headers overridden), the 10 MB body limit, the integration timeout, and the
 * mapping of a Lambda result to the response, with API Gateway's own
 * `{"message": …}` bodies for 404, 413, 500 and 503. `/dev/*` routes and
 * static assets (`./dev-routes`) are served here too, locally only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CORS } from '../../functions/api-gateway';
import { pathPattern } from '../../functions/routes';
import { serveAsset, serveDev, type DevRoutes, type StaticAsset } from './dev-routes';
import { apiId, httpEvent, type Forwarded } from './events';
import { clientIp, decodeGroups, drain, readBody, sendJson, splitUrl } from './http-io';
import { asProxyResult, type LambdaHost } from './lambda-host';

/** The part of an `httpRoutes` entry the gateway needs. */
export interface GatewayHttpRoute {
  name: string;
  method: string;
  /** API Gateway path syntax, `{param}` segments. */
  path: string;
  /** Entry file relative to the root, exporting `handler`. */
  handler: string;
}

/** The HTTP API's CORS configuration (API Gateway answers preflights itself when it has one). */
export interface CorsConfig {
  allowOrigin: string;
  allowHeaders: string[];
  allowMethods: string[];
  exposeHeaders: string[];
  maxAgeSeconds: number;
}

/** The stack's CORS (`functions/api-gateway.ts`), with the default `corsOrigins` context: any origin. */
export const DEFAULT_CORS: CorsConfig = {
  allowOrigin: '*',
  ...CORS,
  allowHeaders: [...CORS.allowHeaders],
  allowMethods: [...CORS.allowMethods],
  exposeHeaders: [...CORS.exposeHeaders],
};

export interface HttpApiOptions {
  routes: readonly GatewayHttpRoute[];
  host: LambdaHost;
  devRoutes: DevRoutes;
  assets: readonly StaticAsset[];
  cors: CorsConfig;
  maxBodyBytes: number;
  timeoutMs: number;
  /** `requestContext.domainName` of a request without a `Host` header. */
  domainName: string;
  forwarded: Forwarded;
  logRequests: boolean;
  log: (line: string) => void;
}

const ACCOUNT_ID = '000000000000';
const API_ID = 'local';

/** The request listener of the public port's HTTP requests (upgrades go to the WebSocket API). */
export function createHttpApi(options: HttpApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { host, cors, log } = options;
  const routes = sortBySpecificity(options.routes).map((route) => ({ route, pattern: pathPattern(route.path), literal: !route.path.includes('{') }));
  const assets = new Map(options.assets.map((asset) => [asset.path, asset]));

  function findRoute(method: string, rawPath: string): { route: GatewayHttpRoute; params?: Record<string, string> } | undefined {
    for (const entry of routes) {
      if (entry.route.method !== method && entry.route.method !== 'ANY') continue;
      if (entry.literal) {
        if (entry.route.path === rawPath) return { route: entry.route };
        continue;
      }
      const match = entry.pattern.exec(rawPath);
      if (match) return { route: entry.route, params: decodeGroups(match.groups) };
    }
    return undefined;
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse) {
    const requestId = apiId();
    res.setHeader('apigw-requestid', requestId);
    const method = (req.method ?? 'GET').toUpperCase();
    const { path: rawPath, query: rawQueryString } = splitUrl(req.url ?? '/');

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

    const dev = options.devRoutes.match(method, rawPath);
    if (dev) {
      const body = await readBody(req, options.maxBodyBytes);
      if (body === 'too_large') return sendJson(res, 413, { message: 'Request Entity Too Large' }, { connection: 'close' });
      return serveDev(dev, req, res, { method, path: rawPath, rawQueryString, body }, log);
    }

    const found = findRoute(method, rawPath);
    if (!found) {
      // The HTTP API has no 405: an unmatched method is an unmatched route.
      await drain(req);
      const asset = method === 'GET' || method === 'HEAD' ? assets.get(rawPath) : undefined;
      if (asset) return serveAsset(res, method, asset);
      return sendJson(res, 404, { message: 'Not Found' });
    }

    const body = await readBody(req, options.maxBodyBytes);
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
      defaultDomainName: options.domainName,
      forwarded: options.forwarded,
      protocol: `HTTP/${req.httpVersion}`,
      requestId,
    });
    const outcome = await host.invoke(found.route, event, options.timeoutMs);
    if (outcome.kind === 'timeout') {
      host.logFailure(found.route.name, requestId, outcome);
      return sendJson(res, 503, { message: 'Service Unavailable' });
    }
    if (outcome.kind === 'error') {
      host.logFailure(found.route.name, requestId, outcome);
      return sendJson(res, 500, { message: 'Internal Server Error' });
    }
    writeHttpResult(res, outcome.value, Boolean(origin), (problem) => log(`gateway: ${found.route.name}: ${problem} (requestId ${requestId})`));
  }

  return (req, res) => {
    if (options.logRequests) {
      const started = Date.now();
      res.once('finish', () => log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));
    }
    onRequest(req, res).catch((error) => {
      log(`gateway: internal error: ${error instanceof Error ? error.stack : String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
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

/**
 * Writes a handler's value as payload v2 maps it: an object with
 * `statusCode` is a proxy result (string body, optional base64, cookies);
 * anything else is the JSON body of a 200. A malformed result answers 500.
 */
function writeHttpResult(res: ServerResponse, value: unknown, stripCors: boolean, problem: (text: string) => void) {
  const result = asProxyResult(value);
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
