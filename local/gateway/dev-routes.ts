/**
 * What the local gateway serves besides the route table: `/dev/*` routes
 * (the token issuer, the EventBridge and SQS stand-ins) and static assets
 * (the web client). Neither exists in the deployed stack (SPEC §1); both are
 * plain functions of the request, not Lambda handlers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pathPattern } from '../../functions/routes';
import { decodeGroups, sendJson } from './http-io';

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

/** A dev route that matched a request, with its decoded path parameters. */
export interface DevMatch {
  handler: DevRouteHandler;
  params: Record<string, string>;
}

export class DevRoutes {
  private readonly routes: { method: string; path: string; pattern: RegExp; handler: DevRouteHandler }[] = [];

  constructor(initial: readonly DevRoute[] = []) {
    for (const route of initial) this.add(route.method, route.path, route.handler);
  }

  /** Registers a route (path must start with `/dev/`); replaces an existing one with the same method and path. */
  add(method: string, path: string, handler: DevRouteHandler): void {
    if (!path.startsWith('/dev/')) throw new Error(`Dev routes must live under /dev/: ${path}`);
    const upper = method.toUpperCase();
    const entry = { method: upper, path, pattern: pathPattern(path), handler };
    const index = this.routes.findIndex((r) => r.method === upper && r.path === path);
    if (index >= 0) this.routes[index] = entry;
    else this.routes.push(entry);
  }

  match(method: string, rawPath: string): DevMatch | undefined {
    if (!rawPath.startsWith('/dev/')) return undefined;
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const match = route.pattern.exec(rawPath);
      if (match) return { handler: route.handler, params: decodeGroups(match.groups) };
    }
    return undefined;
  }
}

/** Runs a dev route and writes its answer; a throwing route answers 500 and is logged. */
export async function serveDev(
  match: DevMatch,
  req: IncomingMessage,
  res: ServerResponse,
  input: { method: string; path: string; rawQueryString: string; body: Buffer },
  log: (line: string) => void,
) {
  const { method, path, body } = input;
  const request: DevRequest = {
    method,
    params: match.params,
    path,
    query: new URLSearchParams(input.rawQueryString),
    headers: req.headers,
    body,
    text: () => body.toString('utf8'),
    json: () => JSON.parse(body.toString('utf8')) as unknown,
  };
  let response: DevResponse;
  try {
    response = await match.handler(request);
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

/** `no-cache`: the bundle is rebuilt on every stack start, so browsers must revalidate rather than reuse a stale copy. */
export function serveAsset(res: ServerResponse, method: string, asset: StaticAsset) {
  const body = typeof asset.body === 'string' ? Buffer.from(asset.body, 'utf8') : asset.body;
  res.writeHead(200, {
    'content-type': asset.contentType,
    'content-length': String(body.length),
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  res.end(method === 'HEAD' ? undefined : body);
}
