/**
 * Stack traces through the bundles' source maps, read only when a stack is
 * first formatted: a logged error names `/var/task/functions/lib/http.ts:95:11`
 * rather than a column of minified `chunks/chunk-….mjs`, without the cost of
 * `--enable-source-maps` at every cold start.
 *
 * Why not `--enable-source-maps`: Node then reads and parses the map of every
 * file it loads and scans each file's whole text (its magic comments and
 * line lengths) during the import, before any error exists; with ~470 KB of
 * code and ~740 KB of maps at init that was ≈ 0.05–0.1 × the cold-start
 * baseline of issue 20 (`npm run bench`, "with maps" against "tracing off").
 * Here a map is read (once per container and file) only when the stack of
 * an error from that file is formatted, i.e. when something logs or reads
 * `error.stack`.
 *
 * Importing this module installs the formatter as `Error.prepareStackTrace`
 * (V8's stack trace API, which Node calls for every error), unless Node maps
 * stacks itself (`--enable-source-maps` set by an operator). The bundler makes
 * every module of ours import it (`lib/bundling.ts`), so it is in place
 * before any of our code runs, and even an error our code throws at init is
 * mapped; the unbundled code (tests, the local stack) never imports it.
 *
 * Each frame keeps V8's own text except for its location: function names
 * stay the bundle's (minified) ones, the file, line and column are the
 * source's. Frames of files without a map (Node's own, `node:` modules) are
 * as V8 prints them.
 */
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapping, type SourceMapPayload } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Parsed maps by generated file URL; undefined: the file has no readable map. */
const maps = new Map<string, { map: SourceMap; dir: string } | undefined>();

function mapOf(fileName: string): { map: SourceMap; dir: string } | undefined {
  if (maps.has(fileName)) return maps.get(fileName);
  let found: { map: SourceMap; dir: string } | undefined;
  try {
    const file = fileName.startsWith('file:') ? fileURLToPath(fileName) : fileName;
    found = { map: new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')) as SourceMapPayload), dir: path.dirname(file) };
  } catch {
    found = undefined;
  }
  maps.set(fileName, found);
  return found;
}

/** `file:line:column` of the source a generated position comes from (all 1-based, as V8 prints them), or undefined. */
export function originalLocation(fileName: string, line: number, column: number): string | undefined {
  if (!fileName.endsWith('.mjs') && !fileName.endsWith('.js')) return undefined;
  const found = mapOf(fileName);
  if (!found) return undefined;
  const entry = found.map.findEntry(line - 1, column - 1) as Partial<SourceMapping>;
  if (!entry.originalSource || entry.originalLine === undefined || entry.originalColumn === undefined) return undefined;
  const source = path.resolve(found.dir, entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : entry.originalSource);
  return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
}

/** One `at …` line: V8's text of the frame with its location replaced by the source's. */
function frameText(frame: NodeJS.CallSite): string {
  const text = frame.toString();
  try {
    const fileName = frame.getFileName();
    const line = frame.getLineNumber();
    const column = frame.getColumnNumber();
    if (!fileName || !line || !column) return text;
    const generated = `${fileName}:${line}:${column}`;
    const at = text.lastIndexOf(generated);
    const original = at < 0 ? undefined : originalLocation(fileName, line, column);
    return original ? `${text.slice(0, at)}${original}${text.slice(at + generated.length)}` : text;
  } catch {
    // A stack is formatted while something already went wrong: never make it worse.
    return text;
  }
}

function header(error: unknown): string {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return '<error>';
  }
}

/** The `Error.prepareStackTrace` of the bundles: V8's format, source-mapped locations. */
export function prepareStackTrace(error: unknown, frames: NodeJS.CallSite[]): string {
  return header(error) + frames.map((frame) => `\n    at ${frameText(frame)}`).join('');
}

// Node's own default (it defines one) is replaced; with `--enable-source-maps` Node maps the stacks itself.
if (!process.sourceMapsEnabled) Error.prepareStackTrace = prepareStackTrace;
