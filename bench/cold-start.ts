/**
 * Cold start per route: bundles every handler of the route table exactly as
 * the stack deploys it (`bundleFunction` of `lib/bundling.ts`, the function
 * the CDK synth calls), reports what it ships and what it loads at init, and
 * times the module init inside fresh `node` processes as `performance.now()`
 * around `await import(bundle)`.
 *
 * Timings are only compared side by side: each function's processes run
 * interleaved (order rotated every round) with processes of a fixed baseline,
 * a module that imports `@aws-sdk/client-dynamodb`, `@aws-sdk/lib-dynamodb`
 * and the Powertools logger, metrics and tracer from node_modules, as an
 * unbundled function would; the targets (issue 20) are ratios to it.
 *
 * Runs on its own too: `npx tsx bench/cold-start.ts [--runs N] [--only
 * Health,SendMessage]` prints the table without DynamoDB Local. Set
 * `COLD_START_NODE=/path/to/node` to time another Node.js binary (Lambda
 * runs Node.js 22).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NODE_SOURCE_MAPS } from '../lib/chat-function';
import { BUNDLE_OPTIONS, bundleFunction, bytesOf, codeFiles, ENTRY_FILE, initFiles, packagesIn } from '../lib/bundling';

/** The packages the baseline imports (issue 20): what every unbundled function loaded at init. */
export const BASELINE_PACKAGES = [
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/lib-dynamodb',
  '@aws-lambda-powertools/logger',
  '@aws-lambda-powertools/metrics',
  '@aws-lambda-powertools/tracer',
] as const;

/** Issue 20's targets: a function's median init over the baseline's median, both measured interleaved. */
export const COLD_START_TARGETS = { tracingOffRatio: 0.5, tracingOnRatio: 0.8, bundleBytes: 1.5 * 1024 * 1024 } as const;

/** The package whose presence in the init files means "loads the DynamoDB client". */
const DYNAMODB_CLIENT = '@aws-sdk/client-dynamodb';

/** What the report says about how the bundles were built (from `lib/bundling.ts`). */
export interface BundleOptions {
  format: string;
  target: string;
  splitting: boolean;
  minify: boolean;
  sourcemap: string;
  sourcesContent: boolean;
  mainFields: readonly string[];
  /** Always empty: nothing is left to the runtime or a layer. */
  external: string[];
  /** `NODE_OPTIONS` of the deployed functions: none (their stack traces are mapped lazily, `functions/lib/source-mapped-stacks.ts`). */
  nodeOptions: string;
  /** What the "with Node's maps" variant adds: Node's own source-map support, which the functions do not turn on. */
  nodeSourceMaps: string;
}

export interface ColdStartRoute {
  name: string;
  handler: string;
  kind: 'http' | 'ws' | 'queue';
  /** The route's `permissions` from `functions/routes.ts`. */
  permissions?: readonly string[];
}

export interface ColdStartResult {
  name: string;
  kind: 'http' | 'ws' | 'queue';
  handler: string;
  /** Every JavaScript file of the function's asset (entry and chunks), bytes. */
  bundleBytes: number;
  /** The files loaded at init (the entry and the chunks it imports statically), bytes. */
  initBytes: number;
  initFiles: number;
  chunkFiles: number;
  /** Every `.map` of the asset, bytes. */
  sourceMapBytes: number;
  /** The `.map` files of the init files: what Node would parse at init with `--enable-source-maps`, bytes. */
  initSourceMapBytes: number;
  /** Whether the route has a table permission (reads or writes DynamoDB). */
  usesTable: boolean;
  /** Whether `@aws-sdk/client-dynamodb` is in the files loaded at init. */
  dynamodbAtInit: boolean;
  /** The largest packages in the init files, KB. */
  initPackagesKb: Record<string, number>;
  /** Every measured init, ms: deployed (tracing on), tracing off, tracing off with Node's source maps (`--enable-source-maps`), and the baseline. */
  initMs: { tracingOn: number[]; tracingOff: number[]; tracingOffNodeSourceMaps: number[]; baseline: number[] };
  /** Medians, ms. */
  median: { tracingOn: number; tracingOff: number; tracingOffNodeSourceMaps: number; baseline: number };
  /** Medians over the median of this function's interleaved baseline runs. */
  ratio: { tracingOn: number; tracingOff: number; tracingOffNodeSourceMaps: number };
  /**
   * The same ratios of CPU time (user + system, all threads) during the import: less sensitive than wall-clock
   * time to other processes competing for the cores, not sensitive to parallel GC or compiler threads helping.
   */
  cpuRatio: { tracingOn: number; tracingOff: number; tracingOffNodeSourceMaps: number };
}

/** One piece of what functions load at init (`bench/init-parts/*.ts`), bundled and measured alone. */
export interface InitPartResult {
  name: string;
  file: string;
  /** The part's docstring (its first line). */
  description: string;
  /** Bytes loaded at init. */
  initBytes: number;
  initMs: { part: number[]; baseline: number[] };
  median: { part: number; baseline: number };
  ratio: number;
  cpuRatio: number;
}

export interface ColdStartRun {
  results: ColdStartResult[];
  /** The init parts, for where the time goes. */
  parts: InitPartResult[];
  bundle: BundleOptions;
  /** Median of every baseline process of the run, ms. */
  baselineMedianMs: number;
  runs: number;
  node: string;
  /** `os.loadavg()[0]` when the cold-start measurement began and ended: how busy the machine was. */
  loadAverage: [number, number];
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

const CHILD = `
const url = process.env.BENCH_MODULE_URL;
const c0 = process.cpuUsage();
const t0 = performance.now();
const mod = await import(url);
const t1 = performance.now();
const cpu = process.cpuUsage(c0);
if (process.env.BENCH_EXPECT_HANDLER && typeof mod.handler !== 'function') throw new Error('no handler export');
process.stdout.write(JSON.stringify({ ms: t1 - t0, cpuMs: (cpu.user + cpu.system) / 1000 }));
`;

/** One cold import: wall-clock ms and the CPU ms the process used meanwhile (every thread: main, GC, compiler). */
interface Sample {
  ms: number;
  cpuMs: number;
}

function initOnce(node: string, moduleFile: string, env: Record<string, string>, expectHandler: boolean): Promise<Sample> {
  return new Promise((done, fail) => {
    execFile(
      node,
      ['--input-type=module', '-e', CHILD],
      { env: { ...env, BENCH_MODULE_URL: pathToFileURL(moduleFile).href, ...(expectHandler ? { BENCH_EXPECT_HANDLER: '1' } : {}) }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) return fail(new Error(`init of ${moduleFile} failed: ${stderr || error.message}`));
        try {
          done(JSON.parse(stdout) as Sample);
        } catch {
          fail(new Error(`init of ${moduleFile} printed ${stdout} ${stderr}`));
        }
      },
    );
  });
}

async function mapBytes(files: readonly string[]): Promise<number> {
  const sizes = await Promise.all(files.map((f) => stat(`${f}.map`).then((s) => s.size, () => 0)));
  return sizes.reduce((a, b) => a + b, 0);
}

export function bundleOptionsReport(): BundleOptions {
  return {
    format: BUNDLE_OPTIONS.format,
    target: BUNDLE_OPTIONS.target,
    splitting: BUNDLE_OPTIONS.splitting,
    minify: BUNDLE_OPTIONS.minify,
    sourcemap: BUNDLE_OPTIONS.sourcemap,
    sourcesContent: BUNDLE_OPTIONS.sourcesContent,
    mainFields: BUNDLE_OPTIONS.mainFields,
    external: [],
    nodeOptions: '',
    nodeSourceMaps: NODE_SOURCE_MAPS,
  };
}

export async function measureColdStarts(options: {
  root: string;
  routes: ColdStartRoute[];
  /** Environment of the child processes (what `functions/config.ts` needs), as on Lambda with tracing on. */
  env: Record<string, string>;
  runs: number;
  log: (line: string) => void;
}): Promise<ColdStartRun> {
  const node = process.env.COLD_START_NODE || process.execPath;
  const loadAtStart = loadavg()[0]!;
  const dir = await mkdtemp(join(tmpdir(), 'chat-bench-'));
  try {
    // The baseline resolves its packages through a node_modules link; the bundles have none next to them
    // (they are self-contained, as in Lambda's /var/task).
    const baselineDir = join(dir, 'baseline');
    await mkdir(baselineDir);
    await symlink(join(options.root, 'node_modules'), join(baselineDir, 'node_modules'), 'dir');
    const baseline = join(baselineDir, 'baseline.mjs');
    await writeFile(baseline, BASELINE_PACKAGES.map((name) => `import '${name}';`).join('\n'));

    const built = [];
    for (const route of options.routes) {
      const outdir = join(dir, 'functions', route.name);
      const { metafile } = bundleFunction(options.root, route.handler, outdir);
      // Metafile output paths are relative to the project root (esbuild's working directory).
      const abs = (file: string) => join(options.root, file);
      const all = codeFiles(metafile);
      const init = initFiles(metafile);
      const packages = packagesIn(metafile, init);
      built.push({
        route,
        entry: join(outdir, ENTRY_FILE),
        bundleBytes: bytesOf(metafile, all),
        initBytes: bytesOf(metafile, init),
        initFiles: init.length,
        chunkFiles: all.length - 1,
        sourceMapBytes: await mapBytes(all.map(abs)),
        initSourceMapBytes: await mapBytes(init.map(abs)),
        dynamodbAtInit: packages.has(DYNAMODB_CLIENT),
        initPackagesKb: Object.fromEntries(
          [...packages].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([name, bytes]) => [name, round1(bytes / 1024)]),
        ),
      });
    }
    const { NODE_OPTIONS: _inherited, ...withoutNodeOptions } = options.env;
    const deployed = { ...withoutNodeOptions, POWERTOOLS_TRACE_ENABLED: 'true' };
    const variants = {
      tracingOn: (entry: string) => initOnce(node, entry, deployed, true),
      tracingOff: (entry: string) => initOnce(node, entry, { ...deployed, POWERTOOLS_TRACE_ENABLED: 'false' }, true),
      tracingOffNodeSourceMaps: (entry: string) => initOnce(node, entry, { ...deployed, NODE_OPTIONS: NODE_SOURCE_MAPS, POWERTOOLS_TRACE_ENABLED: 'false' }, true),
      baseline: () => initOnce(node, baseline, { ...withoutNodeOptions, POWERTOOLS_TRACE_ENABLED: 'true' }, false),
    };
    const order = Object.keys(variants) as (keyof typeof variants)[];
    // One discarded baseline run warms the OS file cache for node_modules, as a Lambda host has its files cached.
    await variants.baseline();
    const results: ColdStartResult[] = [];
    const allBaseline: number[] = [];
    for (const b of built) {
      await variants.tracingOn(b.entry);
      const ms: ColdStartResult['initMs'] = { tracingOn: [], tracingOff: [], tracingOffNodeSourceMaps: [], baseline: [] };
      const cpu: ColdStartResult['initMs'] = { tracingOn: [], tracingOff: [], tracingOffNodeSourceMaps: [], baseline: [] };
      for (let round = 0; round < options.runs; round++) {
        // Rotated, so no variant always runs first (or right after another) in a round.
        for (let k = 0; k < order.length; k++) {
          const variant = order[(k + round) % order.length]!;
          const sample = await variants[variant](b.entry);
          ms[variant].push(sample.ms);
          cpu[variant].push(sample.cpuMs);
        }
      }
      allBaseline.push(...ms.baseline);
      const med = {
        tracingOn: median(ms.tracingOn),
        tracingOff: median(ms.tracingOff),
        tracingOffNodeSourceMaps: median(ms.tracingOffNodeSourceMaps),
        baseline: median(ms.baseline),
      };
      const ratio = {
        tracingOn: round2(med.tracingOn / med.baseline),
        tracingOff: round2(med.tracingOff / med.baseline),
        tracingOffNodeSourceMaps: round2(med.tracingOffNodeSourceMaps / med.baseline),
      };
      const cpuBaseline = median(cpu.baseline);
      const cpuRatio = {
        tracingOn: round2(median(cpu.tracingOn) / cpuBaseline),
        tracingOff: round2(median(cpu.tracingOff) / cpuBaseline),
        tracingOffNodeSourceMaps: round2(median(cpu.tracingOffNodeSourceMaps) / cpuBaseline),
      };
      options.log(
        `  ${b.route.name.padEnd(18)} ${(b.bundleBytes / 1024).toFixed(0).padStart(5)} KB (${(b.initBytes / 1024).toFixed(0)} KB at init)  ` +
          `on ${med.tracingOn.toFixed(0)} ms ${ratio.tracingOn}×, off ${med.tracingOff.toFixed(0)} ms ${ratio.tracingOff}×, ` +
          `off with Node's maps ${ratio.tracingOffNodeSourceMaps}×, baseline ${med.baseline.toFixed(0)} ms; CPU on ${cpuRatio.tracingOn}×, off ${cpuRatio.tracingOff}×`,
      );
      const { route, entry: _entry, ...figures } = b;
      results.push({
        name: route.name,
        kind: route.kind,
        handler: route.handler,
        ...figures,
        usesTable: (route.permissions ?? []).some((p) => p.startsWith('table:')),
        initMs: {
          tracingOn: ms.tracingOn.map(round1),
          tracingOff: ms.tracingOff.map(round1),
          tracingOffNodeSourceMaps: ms.tracingOffNodeSourceMaps.map(round1),
          baseline: ms.baseline.map(round1),
        },
        median: { tracingOn: round1(med.tracingOn), tracingOff: round1(med.tracingOff), tracingOffNodeSourceMaps: round1(med.tracingOffNodeSourceMaps), baseline: round1(med.baseline) },
        ratio,
        cpuRatio,
      });
    }
    const parts: InitPartResult[] = [];
    for (const file of (await readdir(join(options.root, 'bench/init-parts'))).filter((f) => f.endsWith('.ts')).sort()) {
      const name = file.replace(/\.ts$/, '');
      const outdir = join(dir, 'parts', name);
      const { metafile } = bundleFunction(options.root, `bench/init-parts/${file}`, outdir);
      const entry = join(outdir, ENTRY_FILE);
      const description = /\/\*\*\s*(?:Init part:\s*)?([^\n]*?)\s*\*\//.exec(await readFile(join(options.root, 'bench/init-parts', file), 'utf8'))?.[1] ?? name;
      // Tracing on (the tracer part constructs it), no source maps: the parts' own cost.
      const part = () => initOnce(node, entry, { ...withoutNodeOptions, POWERTOOLS_TRACE_ENABLED: 'true' }, true);
      await part();
      const samples = { part: [] as Sample[], baseline: [] as Sample[] };
      for (let round = 0; round < options.runs; round++) {
        for (const which of round % 2 ? (['part', 'baseline'] as const) : (['baseline', 'part'] as const)) {
          samples[which].push(await (which === 'part' ? part() : variants.baseline()));
        }
      }
      const med = { part: median(samples.part.map((x) => x.ms)), baseline: median(samples.baseline.map((x) => x.ms)) };
      const result: InitPartResult = {
        name,
        file: `bench/init-parts/${file}`,
        description,
        initBytes: bytesOf(metafile, initFiles(metafile)),
        initMs: { part: samples.part.map((x) => round1(x.ms)), baseline: samples.baseline.map((x) => round1(x.ms)) },
        median: { part: round1(med.part), baseline: round1(med.baseline) },
        ratio: round2(med.part / med.baseline),
        cpuRatio: round2(median(samples.part.map((x) => x.cpuMs)) / median(samples.baseline.map((x) => x.cpuMs))),
      };
      parts.push(result);
      options.log(`  part ${name.padEnd(13)} ${(result.initBytes / 1024).toFixed(0).padStart(5)} KB  ${result.median.part} ms ${result.ratio}× (CPU ${result.cpuRatio}×)`);
    }
    const version = await new Promise<string>((done) => execFile(node, ['--version'], (error, stdout) => done(error ? 'unknown' : stdout.trim())));
    return {
      results,
      parts,
      bundle: bundleOptionsReport(),
      baselineMedianMs: round1(median(allBaseline)),
      runs: options.runs,
      node: version,
      loadAverage: [round2(loadAtStart), round2(loadavg()[0]!)],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface Target {
  target: string;
  pass: boolean;
  measured: string;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** Issue 20's cold-start targets, PASS/FAIL with the measured figures. */
export function coldStartTargets(run: ColdStartRun): Target[] {
  const cs = run.results;
  const worst = (key: 'tracingOn' | 'tracingOff') => [...cs].sort((a, b) => b.ratio[key] - a.ratio[key])[0]!;
  const best = (key: 'tracingOn' | 'tracingOff') => Math.min(...cs.map((c) => c.ratio[key]));
  const cpuRange = (key: 'tracingOn' | 'tracingOff') => `${Math.min(...cs.map((c) => c.cpuRatio[key]))}–${Math.max(...cs.map((c) => c.cpuRatio[key]))}×`;
  const off = worst('tracingOff');
  const on = worst('tracingOn');
  const biggest = [...cs].sort((a, b) => b.bundleBytes - a.bundleBytes)[0]!;
  const noTable = cs.filter((c) => !c.usesTable);
  const loading = noTable.filter((c) => c.dynamodbAtInit);
  return [
    {
      target: `Module init ≤ ${COLD_START_TARGETS.tracingOffRatio} × the baseline with tracing off, every function (medians, interleaved)`,
      pass: cs.every((c) => c.ratio.tracingOff <= COLD_START_TARGETS.tracingOffRatio),
      measured: `slowest ${off.name} ${off.ratio.tracingOff}× (${off.median.tracingOff} ms against ${off.median.baseline} ms); fastest ${best('tracingOff')}×; CPU time: ${cpuRange('tracingOff')}`,
    },
    {
      target: `Module init ≤ ${COLD_START_TARGETS.tracingOnRatio} × the baseline with tracing on, every function (medians, interleaved)`,
      pass: cs.every((c) => c.ratio.tracingOn <= COLD_START_TARGETS.tracingOnRatio),
      measured: `slowest ${on.name} ${on.ratio.tracingOn}× (${on.median.tracingOn} ms against ${on.median.baseline} ms); fastest ${best('tracingOn')}×; CPU time: ${cpuRange('tracingOn')}`,
    },
    {
      target: 'Bundle ≤ 1.5 MB per function (every JavaScript file of the asset, source maps excluded)',
      pass: cs.every((c) => c.bundleBytes <= COLD_START_TARGETS.bundleBytes),
      measured: `largest ${biggest.name} ${kb(biggest.bundleBytes)} (${kb(biggest.initBytes)} loaded at init); smallest ${kb(Math.min(...cs.map((c) => c.bundleBytes)))}`,
    },
    {
      target: 'Functions without a table permission do not load the DynamoDB client',
      pass: noTable.length > 0 && loading.length === 0,
      measured: loading.length
        ? `loaded at init by ${loading.map((c) => c.name).join(', ')}`
        : `${noTable.map((c) => c.name).join(', ')}: not in their init files (${kb(Math.max(...noTable.map((c) => c.initBytes)))} at init at most)`,
    },
  ];
}

/** The "Cold start" section of bench/RESULTS.md. */
export function coldStartSection(run: ColdStartRun): string[] {
  const o = run.bundle;
  const cs = run.results;
  const md = [
    '## Cold start',
    '',
    `Every route of \`functions/routes.ts\` bundled by \`bundleFunction\` of \`lib/bundling.ts\`, the function the CDK synth runs: esbuild, ${o.format.toUpperCase()}`,
    `with code splitting, \`${o.target}\`, minified and tree-shaken, ${o.sourcemap} source maps without sources, nothing external (the AWS SDK,`,
    'Powertools and the X-Ray SDK are bundled; no layer). Init = `performance.now()` around `await import(index.mjs)` in a fresh',
    `\`node\` process (${run.node} here; Lambda runs Node 22) with the function's environment and \`AWS_EXECUTION_ENV\` set as on Lambda.`,
    '"Tracing on" is the deployed configuration (no `NODE_OPTIONS`: stack traces are mapped when first formatted, by',
    '`functions/lib/source-mapped-stacks.ts`; Powertools tracer and X-Ray SDK loaded); "tracing off" adds `POWERTOOLS_TRACE_ENABLED=false`',
    `as the CDK context \`tracing=false\` deploys it; "Node's maps" also sets \`NODE_OPTIONS=${o.nodeSourceMaps}\` (not deployed), so "Node's maps"`,
    'against "tracing off" is what Node\'s own source-map support would cost at init.',
    '',
    `The baseline is a fresh \`node\` importing ${BASELINE_PACKAGES.map((p) => `\`${p}\``).join(', ')} from node_modules (what an`,
    `unbundled function loaded at init; ${run.baselineMedianMs} ms median over the run). Every function ran ${run.runs} rounds of the four processes`,
    '(baseline, tracing on, tracing off, Node\'s maps) in rotated order after one discarded warm-up; ratios are the function\'s median over the',
    'median of its own interleaved baseline processes, so both saw the same machine load. "CPU × baseline" is the same ratio of the CPU',
    'time (user + system, every thread) a process used during the import: other processes competing for the cores barely move it, while',
    `they do move wall-clock medians (the 1-minute load average was ${run.loadAverage[0]} when this part began and ${run.loadAverage[1]} when it ended, on`,
    `${cpus().length} cores). **Milliseconds depend on the machine and its load; the ratios much less, bundle bytes not at all.**`,
    '',
    '| Function | Bundle KB (all files) | Loaded at init: KB, files | DynamoDB client at init | Tracing on: ms, × baseline | Tracing off: ms, × baseline | Node\'s maps: × baseline | Baseline ms | CPU × baseline: on, off, Node\'s maps |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of cs) {
    md.push(
      `| ${c.name} | ${(c.bundleBytes / 1024).toFixed(1)} | ${(c.initBytes / 1024).toFixed(1)}, ${c.initFiles} | ${c.dynamodbAtInit ? 'yes' : 'no'}${c.usesTable ? '' : ' (no table permission)'} | ` +
        `${c.median.tracingOn.toFixed(1)}, ${c.ratio.tracingOn.toFixed(2)} | ${c.median.tracingOff.toFixed(1)}, ${c.ratio.tracingOff.toFixed(2)} | ${c.ratio.tracingOffNodeSourceMaps.toFixed(2)} | ${c.median.baseline.toFixed(1)} | ${c.cpuRatio.tracingOn.toFixed(2)}, ${c.cpuRatio.tracingOff.toFixed(2)}, ${c.cpuRatio.tracingOffNodeSourceMaps.toFixed(2)} |`,
    );
  }
  const mapCost = cs.map((c) => round2(c.ratio.tracingOffNodeSourceMaps - c.ratio.tracingOff));
  const tracerCost = cs.map((c) => round2(c.ratio.tracingOn - c.ratio.tracingOff));
  const largest = [...cs].sort((a, b) => b.initBytes - a.initBytes)[0]!;
  md.push(
    '',
    `Node's source maps at init (\`${o.nodeSourceMaps}\`, not deployed) would cost ${median(mapCost).toFixed(2)} × the baseline (median over functions; ${Math.min(...mapCost).toFixed(2)} to ${Math.max(...mapCost).toFixed(2)}),` +
      ` for ${kb(median(cs.map((c) => c.initSourceMapBytes)))} of maps of the init files (median; the deployed functions read a map only when formatting a stack). The tracer and the X-Ray SDK: ${median(tracerCost).toFixed(2)} × (${Math.min(...tracerCost).toFixed(2)} to ${Math.max(...tracerCost).toFixed(2)}).`,
    `Largest at init: ${largest.name}, ${kb(largest.initBytes)}: ${Object.entries(largest.initPackagesKb).map(([p, k]) => `${p} ${k} KB`).join(', ')}.`,
    '',
  );
  if (run.parts.length) {
    md.push(
      '### Where init goes',
      '',
      'The pieces every function loads, each bundled alone with the same options (`bench/init-parts/*.ts`) and timed like the functions',
      `(${run.runs} rounds alternating with the baseline; tracing on, no source maps). The parts overlap (each includes Node's own cost of a`,
      'fresh `import()`, the "empty" row), so they add up to somewhat more than a function.',
      '',
      '| Part | What | KB at init | Init ms | × baseline | CPU × baseline |',
      '|---|---|---|---|---|---|',
      ...run.parts.map((p) => `| ${p.name} | ${p.description} | ${(p.initBytes / 1024).toFixed(1)} | ${p.median.part.toFixed(1)} | ${p.ratio.toFixed(2)} | ${p.cpuRatio.toFixed(2)} |`),
      '',
    );
  }
  return md;
}

// ---------------------------------------------------------------- standalone: npx tsx bench/cold-start.ts
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, only: { type: 'string' } } });
  const { httpRoutes, wsRoutes, queueRoutes } = await import('../functions/routes');
  const only = values.only ? new Set(values.only.split(',')) : undefined;
  const routes: ColdStartRoute[] = [
    ...httpRoutes.map((r) => ({ name: r.name, handler: r.handler, kind: 'http' as const, permissions: r.permissions })),
    ...wsRoutes.map((r) => ({ name: r.name, handler: r.handler, kind: 'ws' as const, permissions: r.permissions })),
    ...queueRoutes.map((r) => ({ name: r.name, handler: r.handler, kind: 'queue' as const, permissions: r.permissions })),
  ].filter((r) => !only || only.has(r.name));
  const root = fileURLToPath(new URL('..', import.meta.url));
  // Nothing is contacted at import; these only satisfy functions/config.ts.
  const env = {
    PATH: process.env.PATH ?? '',
    TABLE_NAME: 'chat',
    WS_ENDPOINT: 'http://127.0.0.1:9/ws',
    AUTH_MODE: 'oidc',
    OIDC_ISSUER: 'http://127.0.0.1:9/issuer',
    OIDC_AUDIENCE: 'chat',
    OIDC_JWKS_URI: 'http://127.0.0.1:9/jwks',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    EVENT_BUS_NAME: 'bench',
    FANOUT_QUEUE_URL: 'http://127.0.0.1:9/000000000000/bench-fanout.fifo',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  };
  const run = await measureColdStarts({ root, routes, env, runs: Number(values.runs), log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`\n${coldStartTargets(run).map((t) => `${t.pass ? 'PASS' : 'FAIL'}  ${t.target}: ${t.measured}`).join('\n')}\n\n${coldStartSection(run).join('\n')}\n`);
}
