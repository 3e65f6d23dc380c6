/**
 * The Lambda side of the local gateway: loads each route's handler module
 * the way Lambda does (`import` of the entry file, its `handler` export) and
 * invokes it with a Lambda context, inside the invocation scope
 * (`local/invocations.ts`), under the integration timeout.
 *
 * Unlike Lambda, every function shares this one process: module-level state
 * of one handler module (a cache, a client, a counter in a shared library
 * module) is visible to every other function here, while on AWS each function
 * has its own. Handlers must not rely on such state (README, "Local stack").
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { randomHex } from './events';
import type { InvocationScope } from '../invocations';

/** A Lambda handler as the gateway invokes it. */
export type LambdaHandler = (event: any, context: Context) => unknown;

/** What the host needs of a route: the function name and its entry file. */
export interface HandlerRoute {
  name: string;
  /** Entry file relative to the repository root, exporting `handler`. */
  handler: string;
}

/** Resolves a route to its handler function; the default imports `{root}/{route.handler}` and takes its `handler` export. */
export type HandlerLoader = (route: HandlerRoute) => Promise<LambdaHandler>;

/** How an invocation ended: the handler's value, what it threw or rejected with, or the integration timeout. */
export type Outcome = { kind: 'ok'; value: unknown } | { kind: 'error'; error: unknown } | { kind: 'timeout' };

/** The shape of a Lambda proxy result, as far as the gateway reads it (handlers may return anything). */
export interface ProxyResult {
  statusCode?: unknown;
  headers?: Record<string, unknown>;
  body?: unknown;
  isBase64Encoded?: boolean;
  cookies?: unknown[];
}

export interface LambdaHostOptions {
  /** Repository root the routes' `handler` paths are relative to. */
  root: string;
  /** Default: dynamic `import()` of the entry file. */
  loadHandler?: HandlerLoader;
  /** Region of the function ARNs in the context. */
  region: string;
  scope: InvocationScope;
  log: (line: string) => void;
}

export interface LambdaHost {
  /**
   * Loads every route's handler now (once per entry file), so a broken handler
   * fails startup instead of its first request. Rejects listing every handler
   * that could not be loaded, with the first line of its error.
   */
  loadAll(routes: readonly HandlerRoute[]): Promise<void>;
  /** Invokes the route's handler with `event`; never rejects. */
  invoke(route: HandlerRoute, event: unknown, timeoutMs: number): Promise<Outcome>;
  /** Logs a failed or timed-out invocation (nothing for `ok`). */
  logFailure(what: string, requestId: string, outcome: Outcome): void;
}

export function createLambdaHost(options: LambdaHostOptions): LambdaHost {
  const { region, scope, log } = options;
  const loadHandler = options.loadHandler ?? importLoader(options.root);
  const handlers = new Map<string, Promise<LambdaHandler>>();

  function handlerFor(route: HandlerRoute) {
    let loaded = handlers.get(route.handler);
    if (!loaded) {
      loaded = loadHandler(route);
      handlers.set(route.handler, loaded);
      // A failed import is retried on the next request (e.g. after the file is fixed).
      loaded.catch(() => handlers.delete(route.handler));
    }
    return loaded;
  }

  return {
    async loadAll(routes) {
      const unique = [...new Map(routes.map((route) => [route.handler, route])).values()];
      const failures: string[] = [];
      await Promise.all(
        unique.map(async (route) => {
          try {
            await handlerFor(route);
          } catch (error) {
            failures.push(`  - ${route.name} (${route.handler}): ${firstLine(error)}`);
          }
        }),
      );
      if (failures.length) throw new Error(`Could not load ${failures.length} handler(s):\n${failures.sort().join('\n')}`);
    },

    async invoke(route, event, timeoutMs) {
      let fn: LambdaHandler;
      try {
        fn = await handlerFor(route);
      } catch (error) {
        return { kind: 'error', error };
      }
      const context = lambdaContext({ functionName: route.name, timeoutMs, region });
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
          result = scope(context, () => fn(event, context));
        } catch (error) {
          settle({ kind: 'error', error });
          return;
        }
        Promise.resolve(result).then(
          (value) => settle({ kind: 'ok', value }),
          (error: unknown) => settle({ kind: 'error', error }),
        );
      });
    },

    logFailure(what, requestId, outcome) {
      if (outcome.kind === 'timeout') log(`gateway: ${what} timed out (requestId ${requestId})`);
      else if (outcome.kind === 'error') {
        const error = outcome.error;
        log(`gateway: ${what} failed (requestId ${requestId}): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    },
  };
}

/** A handler's value as a proxy result when it is an object (payload v2 also allows a bare body). */
export function asProxyResult(value: unknown): ProxyResult | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return value as ProxyResult;
}

const ACCOUNT_ID = '000000000000';

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

/**
 * A Lambda context as the Node.js runtime passes it: function name, ARN in
 * `region`, a fresh `awsRequestId`, `getRemainingTimeInMillis()` counting
 * down from `timeoutMs`. The callback-style `done`/`succeed`/`fail` throw.
 */
export function lambdaContext(input: { functionName: string; timeoutMs: number; region: string; memoryMb?: number }): Context {
  const { functionName, timeoutMs, region } = input;
  const now = Date.now();
  const deadline = now + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(input.memoryMb ?? 1024),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${logStreamDay(now)}/[$LATEST]${randomHex(16)}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

function importLoader(root: string): HandlerLoader {
  return async (route) => {
    const file = resolve(root, route.handler);
    const module = (await import(pathToFileURL(file).href)) as { handler?: unknown; default?: { handler?: unknown } };
    const handler = module.handler ?? module.default?.handler;
    if (typeof handler !== 'function') throw new Error(`${route.handler} does not export a function named \`handler\``);
    return handler as LambdaHandler;
  };
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0];
}
