/**
 * Cold start per route: bundles every handler of the route table with the
 * deployed functions' esbuild options (read from `lib/chat-function.ts`),
 * reports the bundle size and the module init time, measured inside a fresh
 * `node` process as `performance.now()` around `await import(bundle)`
 * (median of several processes).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export interface BundleOptions {
  banner: string;
  format: 'esm';
  target: string;
  minify: boolean;
  sourcemap: boolean;
  sourcesContent: boolean;
  mainFields: string[];
  external: string[];
  /** Differences between what `lib/chat-function.ts` says and what is mirrored here. */
  drift: string[];
}

/**
 * The bundling options of `ChatFunction`. The banner and the external
 * modules are read from the file; the other options are mirrored and checked
 * against the file's text, so a change there shows up as `drift` in the
 * report instead of silently measuring something else.
 */
export async function chatFunctionBundleOptions(root: string): Promise<BundleOptions> {
  const source = await readFile(join(root, 'lib/chat-function.ts'), 'utf8');
  const drift: string[] = [];
  const shim = /const ESM_REQUIRE_SHIM\s*=\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*;/.exec(source);
  let banner = "import { createRequire as __chatCreateRequire } from 'node:module'; const require = __chatCreateRequire(import.meta.url);";
  if (shim) {
    const literal = shim[1];
    banner = literal.startsWith('"') ? (JSON.parse(literal) as string) : literal.slice(1, -1).replace(/\\'/g, "'");
  } else drift.push('ESM_REQUIRE_SHIM not found (using the last known banner)');
  const expect = (what: string, re: RegExp) => {
    if (!re.test(source)) drift.push(`expected ${what}`);
  };
  expect("format: OutputFormat.ESM", /format:\s*OutputFormat\.ESM/);
  expect("target: 'node22'", /target:\s*'node22'/);
  expect('minify: true', /minify:\s*true/);
  expect('sourceMap: true', /sourceMap:\s*true/);
  expect('sourcesContent: false', /sourcesContent:\s*false/);
  expect("mainFields: ['module', 'main']", /mainFields:\s*\[\s*'module'\s*,\s*'main'\s*\]/);
  expect('bundleAwsSDK: false (@aws-sdk/* external)', /bundleAwsSDK:\s*false/);
  expect('externalModules: EXTERNAL_MODULES', /externalModules:\s*EXTERNAL_MODULES/);
  // Left to the Lambda runtime (the SDK) and the Powertools layer: imported from node_modules here, as from /var/runtime and /opt there.
  let external = ['@aws-sdk/*', '@aws-lambda-powertools/*', 'aws-xray-sdk-core'];
  const list = /export const EXTERNAL_MODULES\s*=\s*(\[[^\]]*\])/.exec(source);
  if (list) external = JSON.parse(list[1].replace(/'/g, '"')) as string[];
  else drift.push('EXTERNAL_MODULES not found (using the last known list)');
  return {
    banner,
    format: 'esm',
    target: 'node22',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    external,
    drift,
  };
}

export interface ColdStartResult {
  name: string;
  kind: 'http' | 'ws' | 'queue';
  handler: string;
  bundleBytes: number;
  sourceMapBytes: number;
  /** Every measured init time, ms. */
  initMs: number[];
  initMedianMs: number;
  /**
   * Packages from outside the bundle that it imports statically (loaded at init; others load on first use):
   * `@aws-sdk/*` (Lambda runtime) and `@aws-lambda-powertools/*` (Powertools layer).
   */
  sdkImports: string[];
  /** Median init of a process importing only those packages: their share of `initMedianMs`. */
  sdkInitMedianMs: number;
  /** Median init with `POWERTOOLS_TRACE_ENABLED=false` (CDK context `tracing=false`): the tracer and X-Ray SDK are not loaded. */
  initTracingOffMedianMs: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const CHILD = `
const url = process.env.BENCH_BUNDLE_URL;
const t0 = performance.now();
const mod = await import(url);
const t1 = performance.now();
if (typeof mod.handler !== 'function') throw new Error('no handler export');
process.stdout.write(JSON.stringify({ ms: t1 - t0 }));
`;

const SDK_CHILD = `
const t0 = performance.now();
for (const name of JSON.parse(process.env.BENCH_SDK_IMPORTS)) await import(name);
process.stdout.write(JSON.stringify({ ms: performance.now() - t0 }));
`;

/**
 * The SDK and layer modules a minified bundle loads during init: static
 * `import … from "@aws-sdk/…"` or `"@aws-lambda-powertools/…"`, plus the
 * tracer's `import("@aws-lambda-powertools/tracer…")`, which
 * `functions/lib/tracer.ts` awaits at module scope when tracing is on (as
 * here). Other dynamic imports (SDK clients loaded on first use) are lazy
 * and not counted.
 */
function staticSdkImports(code: string): string[] {
  const names = new Set<string>();
  for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*)["']((?:@aws-sdk|@aws-lambda-powertools)\/[^"']+)["']/g)) names.add(m[1]);
  for (const m of code.matchAll(/\bimport\(\s*["'](@aws-lambda-powertools\/tracer[^"']*)["']\s*\)/g)) names.add(m[1]);
  return [...names].sort();
}

function initOnce(bundle: string, env: Record<string, string>, sdkImports?: string[], cwd?: string): Promise<number> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', sdkImports ? SDK_CHILD : CHILD],
      {
        env: { ...env, BENCH_BUNDLE_URL: pathToFileURL(bundle).href, BENCH_SDK_IMPORTS: JSON.stringify(sdkImports ?? []) },
        cwd,
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        if (error) return fail(new Error(`init of ${bundle} failed: ${stderr || error.message}`));
        try {
          done((JSON.parse(stdout) as { ms: number }).ms);
        } catch {
          fail(new Error(`init of ${bundle} printed ${stdout} ${stderr}`));
        }
      },
    );
  });
}

export async function measureColdStarts(options: {
  root: string;
  routes: { name: string; handler: string; kind: 'http' | 'ws' | 'queue' }[];
  /** Environment of the child processes (what `functions/config.ts` needs). */
  env: Record<string, string>;
  runs: number;
  log: (line: string) => void;
}): Promise<{ results: ColdStartResult[]; bundle: BundleOptions }> {
  const bundle = await chatFunctionBundleOptions(options.root);
  const dir = await mkdtemp(join(tmpdir(), 'chat-bench-'));
  try {
    // Bare `@aws-sdk/*` and `@aws-lambda-powertools/*` imports of the bundles resolve through this link
    // (on Lambda: the runtime's SDK and the Powertools layer).
    await symlink(join(options.root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const built = await Promise.all(
      options.routes.map(async (route) => {
        const outfile = join(dir, route.name, 'index.mjs');
        await build({
          entryPoints: [join(options.root, route.handler)],
          outfile,
          bundle: true,
          platform: 'node',
          format: bundle.format,
          target: bundle.target,
          minify: bundle.minify,
          sourcemap: bundle.sourcemap,
          sourcesContent: bundle.sourcesContent,
          mainFields: bundle.mainFields,
          external: bundle.external,
          banner: { js: bundle.banner },
          logLevel: 'error',
        });
        const [js, map, code] = await Promise.all([stat(outfile), stat(`${outfile}.map`).catch(() => undefined), readFile(outfile, 'utf8')]);
        return { route, outfile, bundleBytes: js.size, sourceMapBytes: map?.size ?? 0, sdkImports: staticSdkImports(code) };
      }),
    );
    const results: ColdStartResult[] = [];
    // The SDK's share: fresh processes importing only the SDK packages a bundle imports at init, one after each
    // function's runs (interleaved, so both see the same machine load); median per distinct set of packages.
    // `--input-type=module -e` resolves bare specifiers from the working directory: the temp dir, whose node_modules is the link.
    const sdkRuns = new Map<string, number[]>();
    for (const b of built) {
      const initMs: number[] = [];
      const offMs: number[] = [];
      const tracingOff = { ...options.env, POWERTOOLS_TRACE_ENABLED: 'false' };
      // One discarded run warms the OS file cache, as a Lambda host has the runtime's files cached.
      await initOnce(b.outfile, options.env);
      // Alternating, so both variants see the same machine load.
      for (let i = 0; i < options.runs; i++) {
        initMs.push(await initOnce(b.outfile, options.env));
        offMs.push(await initOnce(b.outfile, tracingOff));
      }
      const set = JSON.stringify(b.sdkImports);
      if (b.sdkImports.length) sdkRuns.set(set, [...(sdkRuns.get(set) ?? []), await initOnce('', options.env, b.sdkImports, dir)]);
      const initMedianMs = median(initMs);
      options.log(`  ${b.route.name.padEnd(18)} ${(b.bundleBytes / 1024).toFixed(1).padStart(7)} KB  init ${initMedianMs.toFixed(1)} ms, tracing off ${median(offMs).toFixed(1)} ms`);
      results.push({
        name: b.route.name,
        kind: b.route.kind,
        handler: b.route.handler,
        bundleBytes: b.bundleBytes,
        sourceMapBytes: b.sourceMapBytes,
        initMs: initMs.map((m) => Math.round(m * 10) / 10),
        initMedianMs: Math.round(initMedianMs * 10) / 10,
        sdkImports: b.sdkImports,
        sdkInitMedianMs: 0,
        initTracingOffMedianMs: Math.round(median(offMs) * 10) / 10,
      });
    }
    for (const r of results) {
      const runs = sdkRuns.get(JSON.stringify(r.sdkImports));
      r.sdkInitMedianMs = runs?.length ? Math.round(median(runs) * 10) / 10 : 0;
    }
    for (const [set, runs] of sdkRuns) options.log(`  SDK and layer packages alone (${(JSON.parse(set) as string[]).join(', ')}): ${median(runs).toFixed(1)} ms, median of ${runs.length}`);
    return { results, bundle };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
