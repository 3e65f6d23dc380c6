/**
 * The web client (`web/`) as static assets of the local gateway:
 * `GET /` → `web/index.html`, `GET /app.js` → `web/app.ts` bundled by esbuild
 * in memory, `GET /style.css` → `web/style.css`.
 *
 * Local stack only, by choice: the client is a development and demo aid for
 * the API (and the page the browser tests drive), not part of the deployed
 * product. It is not in the route table, so the CDK stack never deploys it
 * and the OpenAPI document never lists it; a team that wants to host it would
 * build the same bundle and put it on S3 + CloudFront next to the API.
 *
 * The bundle is built once, when the stack starts (≈100-300 ms); restart the
 * stack to pick up changes to `web/`. A build error does not stop the stack:
 * the API keeps working and `/app.js` becomes a script that shows the error
 * on the page.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import type { StaticAsset } from './gateway/dev-routes';

export interface WebClientOptions {
  /** Repository root; the client is read from `{root}/web`. */
  root: string;
  /** Where build warnings and errors go. Default: stderr. */
  log?: (line: string) => void;
  /** Entry module relative to `{root}/web`. Default `app.ts` (tests point it at a broken file). */
  entry?: string;
}

export interface WebClient {
  /** `/`, `/app.js`, `/style.css`, ready for `startGateway({ assets })`. */
  assets: StaticAsset[];
  /** The esbuild error text when the bundle failed to build, else undefined. */
  buildError?: string;
  /** Bundle size in bytes (source map inline included), 0 after a failed build. */
  bundleBytes: number;
}

/**
 * Reads `web/index.html` and `web/style.css` and bundles `web/app.ts`
 * (`bundle`, ESM, ES2022, inline source map, browser platform).
 *
 * Never rejects for a bundle error (see the module comment); rejects only
 * when `index.html` or `style.css` cannot be read, which means `root` is wrong.
 */
export async function buildWebClient(options: WebClientOptions): Promise<WebClient> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dir = resolve(options.root, 'web');
  const [html, css] = await Promise.all([readFile(resolve(dir, 'index.html')), readFile(resolve(dir, 'style.css'))]);

  let script: string;
  let buildError: string | undefined;
  try {
    const result = await build({
      entryPoints: [resolve(dir, options.entry ?? 'app.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      sourcemap: 'inline',
      logLevel: 'silent',
      absWorkingDir: options.root,
    });
    script = result.outputFiles[0].text;
  } catch (error) {
    // esbuild's BuildFailure message lists every error with file:line.
    buildError = error instanceof Error ? error.message : String(error);
    log(`web client: the bundle failed to build; GET / shows the error, the API is unaffected:\n${buildError}`);
    script = buildErrorScript(buildError);
  }

  return {
    assets: [
      { path: '/', contentType: 'text/html; charset=utf-8', body: html },
      { path: '/index.html', contentType: 'text/html; charset=utf-8', body: html },
      { path: '/app.js', contentType: 'text/javascript; charset=utf-8', body: script },
      { path: '/style.css', contentType: 'text/css; charset=utf-8', body: css },
    ],
    buildError,
    bundleBytes: buildError ? 0 : Buffer.byteLength(script),
  };
}

/** A script that puts the build error at the top of the page (as text, never as HTML) and in the console. */
function buildErrorScript(message: string): string {
  return [
    `const message = ${JSON.stringify(`The web client failed to build:\n${message}`)};`,
    'console.error(message);',
    "const pre = document.createElement('pre');",
    "pre.setAttribute('data-testid', 'build-error');",
    "pre.style.cssText = 'color:#b00020;white-space:pre-wrap;padding:1rem;margin:0';",
    'pre.textContent = message;',
    'document.body.prepend(pre);',
    '',
  ].join('\n');
}
