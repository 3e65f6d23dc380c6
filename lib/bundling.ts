/**
 * How every function is bundled: one esbuild build per handler, run by the
 * CDK synth (`lib/chat-function.ts`, local esbuild, no Docker), by the
 * benchmark (`bench/cold-start.ts`) and by the CDK tests, so all three measure
 * exactly what is deployed.
 *
 * Everything a handler imports is bundled: our code, the AWS SDK v3 clients,
 * Powertools (logger, metrics, tracer) and the X-Ray SDK. Nothing comes from
 * the Lambda runtime's SDK copy or from a layer, so the code that runs in
 * Lambda is the code the tests ran (the versions `package-lock.json` pins).
 *
 * The output is ES modules with code splitting: `index.mjs` plus the chunks
 * it imports. What a handler imports statically is loaded at init; what it
 * imports with `import()` (the S3, SQS, EventBridge and `@connections`
 * clients, the credential providers the SDK loads on demand, the tracer
 * when tracing is on, the DynamoDB repository in functions that never use
 * it) stays in chunks that are read only when first used. A single-file
 * bundle would inline those dynamic imports, and Node would parse all of
 * them at every cold start: measured in `npm run bench`, that is what kept
 * a one-file bundle at ≈ 0.85 × the unbundled import time with tracing on.
 *
 * Each function builds only its own route's schemas: the handlers are
 * bundled from a copy of `functions/` in which the route table is split into
 * one constant per route and the schema modules' constants are marked pure,
 * so tree shaking drops every other route (`lib/route-slicing.ts`; measured
 * in `npm run bench`, the whole table and its zod schemas were ≈ 0.08 × the
 * baseline init in every function).
 *
 * Source maps are external (`.map` next to each file, without the sources
 * themselves) and their `sources` are rewritten relative to the project root,
 * so a stack trace names `functions/lib/http.ts` and the asset's hash does
 * not depend on where the synth ran. Node does not read them (no
 * `--enable-source-maps`, which cost ≈ 0.05–0.1 × the baseline at init): the
 * function maps its own stack traces when one is first formatted
 * (`functions/lib/source-mapped-stacks.ts`, imported by every staged module,
 * {@link importStackTraces}).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync, type BuildOptions, type Metafile } from 'esbuild';
import { annotatePure, splitRouteTable, staticRouteLookups } from './route-slicing';

/**
 * Defines `require` for bundled CommonJS dependencies (the X-Ray SDK, for
 * one): an ES module has none, and esbuild's `__require` shim throws "Dynamic
 * require of ... is not supported" when a CJS package requires a Node
 * built-in. Prepended to every output file.
 */
export const ESM_REQUIRE_SHIM =
  // One require for every file of the function (created by the first file that loads): everything is bundled, so it
  // only ever loads Node built-ins, for which the base URL does not matter, and `createRequire` in each of a
  // function's ~16 files cost ≈ 3 ms of init (issue 20, measured with --cpu-prof).
  "import { createRequire as __chatCreateRequire } from 'node:module'; const require = (globalThis.__chatRequire ??= __chatCreateRequire(import.meta.url));";

/** The name Lambda's `handler: 'index.handler'` resolves (`.mjs`: an ES module without a package.json). */
export const ENTRY_FILE = 'index.mjs';

/** The esbuild options of every function (entry and output directory aside). */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  // Lambda's Node.js 22 runtime (lib/chat-function.ts).
  target: 'node22',
  format: 'esm',
  splitting: true,
  entryNames: 'index',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  // Prefer packages' ES module builds (the SDK's dist-es, Powertools' lib/esm) so esbuild can tree-shake them.
  mainFields: ['module', 'main'],
  minify: true,
  treeShaking: true,
  sourcemap: 'linked',
  // Stack traces only need the mappings; embedding the sources would triple the maps.
  sourcesContent: false,
  banner: { js: ESM_REQUIRE_SHIM },
  logLevel: 'silent',
} as const satisfies BuildOptions;

export interface BundleResult {
  /** The output directory (`index.mjs`, `chunks/*.mjs` and their `.map` files). */
  readonly outdir: string;
  /** esbuild's metafile: inputs and outputs, with paths relative to the project root. */
  readonly metafile: Metafile;
}

/**
 * Bundles one handler into `outdir` (synchronously: CDK's local bundling is
 * synchronous). Throws with esbuild's messages when the build fails.
 *
 * @param projectRoot the repository root; `entry` is relative to it.
 * @param entry the handler file, e.g. `functions/http/send-message.ts`.
 */
export function bundleFunction(projectRoot: string, entry: string, outdir: string): BundleResult {
  const staged = entry.startsWith(`${FUNCTIONS_DIR}/`) ? stageFunctions(projectRoot) : undefined;
  const result = buildSync({
    ...BUNDLE_OPTIONS,
    absWorkingDir: projectRoot,
    entryPoints: [path.join(staged ?? projectRoot, entry)],
    outdir,
    metafile: true,
  });
  relativizeSourceMaps(projectRoot, outdir, staged);
  return { outdir, metafile: staged ? unstage(result.metafile, path.relative(projectRoot, staged)) : result.metafile };
}

/**
 * Source-mapped stack traces without `--enable-source-maps` (see the module). Every staged module of ours imports it
 * (the import is appended, so no line moves and the maps stay exact): as a dependency of each, it is evaluated before
 * the body of any of our modules, so even an error our code throws at init (an invalid configuration) is mapped.
 * (esbuild's `inject` would not do: it wraps a module that CommonJS files import in a lazy initializer.)
 */
export const STACK_TRACES_MODULE = 'lib/source-mapped-stacks.ts';

/** `source` with an import of {@link STACK_TRACES_MODULE} appended; `file` is relative to `functions/`. */
export function importStackTraces(file: string, source: string): string {
  if (file === STACK_TRACES_MODULE) return source;
  const relative = path.posix.relative(path.posix.dirname(file.split(path.sep).join('/')), STACK_TRACES_MODULE.replace(/\.ts$/, ''));
  return `${source}\nimport '${relative.startsWith('.') ? relative : `./${relative}`}';\n`;
}

/** The handlers' source tree, the one `stageFunctions` copies. */
const FUNCTIONS_DIR = 'functions';

/** The schema and route-table modules whose top-level constants are annotated pure (`lib/route-slicing.ts`). */
const SCHEMA_MODULES = new Set(['schemas.ts', 'routes.ts']);

/** Where staged copies live: inside the project (so bundles do not depend on where it is) and ignored by git. */
const STAGE_DIR = 'node_modules/.cache/chat-bundle';

/**
 * A copy of `functions/` with the route-slicing transforms of `lib/route-slicing.ts` applied, so that each function
 * builds only its own route's schemas at init (esbuild's synchronous API, which CDK's local bundling needs, takes
 * no plugins; a transformed copy does the same). The copy sits at `node_modules/.cache/chat-bundle/<hash of its
 * files>`: packages resolve from it as from `functions/`, the same sources always give the same path (esbuild's
 * chunk names hash the input paths, so the asset hashes stay stable), and concurrent builds (CDK synth, the test
 * workers) share one copy, written elsewhere and renamed into place. Returns its absolute path.
 */
function stageFunctions(projectRoot: string): string {
  const source = path.join(projectRoot, FUNCTIONS_DIR);
  const files = readdirSync(source, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .sort()
    .map((file) => {
      const text = readFileSync(path.join(source, file), 'utf8');
      let next = file === 'routes.ts' ? splitRouteTable(text) : staticRouteLookups(text);
      if (SCHEMA_MODULES.has(file)) next = annotatePure(next);
      return { file, text: importStackTraces(file, next) };
    });
  const hash = createHash('sha256');
  for (const { file, text } of files) hash.update(`${file}\0${text}\0`);
  const staged = path.join(projectRoot, STAGE_DIR, hash.digest('hex').slice(0, 16));
  if (existsSync(staged)) return staged;
  mkdirSync(path.dirname(staged), { recursive: true });
  const building = mkdtempSync(`${staged}-`);
  for (const { file, text } of files) {
    mkdirSync(path.join(building, FUNCTIONS_DIR, path.dirname(file)), { recursive: true });
    writeFileSync(path.join(building, FUNCTIONS_DIR, file), text);
  }
  try {
    renameSync(building, staged);
  } catch (error) {
    // Another build renamed the same copy into place first.
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(staged)) throw error;
  }
  pruneStaged(path.dirname(staged), staged);
  return staged;
}

/** Copies older than this are from earlier versions of the sources and no longer in use by any build. */
const STAGE_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** Removes staged copies (and abandoned half-written ones) older than {@link STAGE_MAX_AGE_MS}, so the cache does not grow without bound. */
function pruneStaged(dir: string, keep: string): void {
  for (const name of readdirSync(dir)) {
    const other = path.join(dir, name);
    // Another build may be pruning too: a copy gone meanwhile is fine.
    const age = Date.now() - (statSync(other, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (other !== keep && age > STAGE_MAX_AGE_MS) rmSync(other, { recursive: true, force: true });
  }
}

/** The metafile with the staged copy's input paths (`node_modules/.cache/chat-bundle/<hash>/functions/…`) as the project's. */
function unstage(metafile: Metafile, stagedRelative: string): Metafile {
  const prefix = `${stagedRelative.split(path.sep).join('/')}/`;
  const fix = (file: string) => (file.startsWith(prefix) ? file.slice(prefix.length) : file);
  return {
    inputs: Object.fromEntries(Object.entries(metafile.inputs).map(([file, input]) => [fix(file), { ...input, imports: input.imports.map((i) => ({ ...i, path: fix(i.path) })) }])),
    outputs: Object.fromEntries(
      Object.entries(metafile.outputs).map(([file, output]) => [
        file,
        { ...output, ...(output.entryPoint ? { entryPoint: fix(output.entryPoint) } : {}), inputs: Object.fromEntries(Object.entries(output.inputs).map(([input, bytes]) => [fix(input), bytes])) },
      ]),
    ),
  };
}

/**
 * Rewrites every map's `sources` as if the project's files sat in `outdir`
 * (`/var/task` on Lambda): `functions/lib/http.ts` from `index.mjs.map`,
 * `../functions/lib/http.ts` from `chunks/*.mjs.map`, wherever the bundle was built.
 */
function relativizeSourceMaps(projectRoot: string, outdir: string, staged?: string): void {
  const posix = (p: string) => p.split(path.sep).join('/');
  for (const file of readdirSync(outdir, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.map')) continue;
    const mapPath = path.join(outdir, file);
    const mapDir = path.dirname(mapPath);
    const map = JSON.parse(readFileSync(mapPath, 'utf8')) as { sources: string[] };
    // A staged file maps to the project's file of the same name.
    const fromRoot = (abs: string) => (staged && abs.startsWith(`${staged}${path.sep}`) ? path.relative(staged, abs) : path.relative(projectRoot, abs));
    map.sources = map.sources.map((source) => posix(path.relative(mapDir, path.join(outdir, fromRoot(path.resolve(mapDir, source))))));
    writeFileSync(mapPath, JSON.stringify(map));
  }
}

/**
 * The output files a function loads at init: the entry and, transitively,
 * every chunk imported by a static `import` (dynamic `import()` targets load
 * on first use). Paths as in the metafile's `outputs`.
 */
export function initFiles(metafile: Metafile): string[] {
  const entry = Object.keys(metafile.outputs).find((file) => path.basename(file) === ENTRY_FILE && metafile.outputs[file]!.entryPoint);
  if (!entry) throw new Error(`no ${ENTRY_FILE} among the outputs`);
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const imported of metafile.outputs[file]!.imports) {
      if (imported.kind === 'import-statement' && !imported.external) pending.push(imported.path);
    }
  }
  return [...seen];
}

/** The npm package an input path belongs to (`@aws-sdk/client-dynamodb`), or undefined for the project's own files. */
export function packageOf(input: string): string | undefined {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const [scope, name] = input.slice(at + 'node_modules/'.length).split('/');
  return scope!.startsWith('@') ? `${scope}/${name}` : scope;
}

/** The packages whose code is in the given output files, with the bytes each contributes. */
export function packagesIn(metafile: Metafile, files: readonly string[]): Map<string, number> {
  const bytes = new Map<string, number>();
  for (const file of files) {
    for (const [input, { bytesInOutput }] of Object.entries(metafile.outputs[file]!.inputs)) {
      const name = packageOf(input);
      if (name && bytesInOutput > 0) bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
    }
  }
  return bytes;
}

/** Total size of the given output files, bytes. */
export function bytesOf(metafile: Metafile, files: readonly string[]): number {
  return files.reduce((sum, file) => sum + metafile.outputs[file]!.bytes, 0);
}

/** Every JavaScript output file (maps excluded). */
export function codeFiles(metafile: Metafile): string[] {
  return Object.keys(metafile.outputs).filter((file) => file.endsWith('.mjs'));
}
