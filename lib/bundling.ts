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
 * Source maps are external (`.map` next to each file, without the sources
 * themselves) and their `sources` are rewritten relative to the project root,
 * so a stack trace names `functions/lib/http.ts` and the asset's hash does
 * not depend on where the synth ran.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync, type BuildOptions, type Metafile } from 'esbuild';

/**
 * Defines `require` for bundled CommonJS dependencies (the X-Ray SDK, for
 * one): an ES module has none, and esbuild's `__require` shim throws "Dynamic
 * require of ... is not supported" when a CJS package requires a Node
 * built-in. Prepended to every output file.
 */
export const ESM_REQUIRE_SHIM =
  "import { createRequire as __chatCreateRequire } from 'node:module'; const require = __chatCreateRequire(import.meta.url);";

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
  const result = buildSync({
    ...BUNDLE_OPTIONS,
    absWorkingDir: projectRoot,
    entryPoints: [path.join(projectRoot, entry)],
    outdir,
    metafile: true,
  });
  relativizeSourceMaps(projectRoot, outdir);
  return { outdir, metafile: result.metafile };
}

/**
 * Rewrites every map's `sources` as if the project's files sat in `outdir`
 * (`/var/task` on Lambda): `functions/lib/http.ts` from `index.mjs.map`,
 * `../functions/lib/http.ts` from `chunks/*.mjs.map`, wherever the bundle was built.
 */
function relativizeSourceMaps(projectRoot: string, outdir: string): void {
  const posix = (p: string) => p.split(path.sep).join('/');
  for (const file of readdirSync(outdir, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.map')) continue;
    const mapPath = path.join(outdir, file);
    const mapDir = path.dirname(mapPath);
    const map = JSON.parse(readFileSync(mapPath, 'utf8')) as { sources: string[] };
    map.sources = map.sources.map((source) => posix(path.relative(mapDir, path.join(outdir, path.relative(projectRoot, path.resolve(mapDir, source))))));
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
