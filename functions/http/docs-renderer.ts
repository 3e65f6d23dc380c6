/**
 * `GET /docs/redoc.js`: the renderer of `/docs`, Redoc's standalone browser
 * bundle from the `redoc` npm package (pinned in package.json), so the API
 * reference needs no CDN and works offline.
 *
 * Where the file is: on Lambda next to the function's bundle (the route's
 * `assets` in `functions/routes.ts`; `lib/chat-function.ts` copies it), in
 * the local stack in `node_modules`. It is read and gzip-compressed once per
 * cold start (~2.3 MB → ~0.65 MB; HTTP APIs do not compress responses) and
 * answered compressed to clients that accept gzip; browsers cache it for a
 * day (a renderer upgrade reaches them within that day).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { httpHandler, respond } from '../lib/http';
import { httpRoute } from '../routes';

const FILE = 'redoc.standalone.js';

/** The bundled copy when there is one (Lambda), else the installed package (local stack, tests). */
export function rendererPath(): string {
  const bundled = fileURLToPath(new URL(`./${FILE}`, import.meta.url));
  if (existsSync(bundled)) return bundled;
  return createRequire(import.meta.url).resolve(`redoc/bundles/${FILE}`);
}

let renderer: { raw: string; gzip: string } | undefined;

function load() {
  if (!renderer) {
    const bytes = readFileSync(rendererPath());
    renderer = { raw: bytes.toString('utf8'), gzip: gzipSync(bytes, { level: 9 }).toString('base64') };
  }
  return renderer;
}

export const handler = httpHandler(httpRoute('DocsRenderer'), async ({ event }) => {
  const { raw, gzip } = load();
  const headers = {
    'content-type': 'text/javascript; charset=utf-8',
    'cache-control': 'public, max-age=86400',
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
  };
  if (/\bgzip\b/.test(event.headers?.['accept-encoding'] ?? '')) return respond(200, gzip, { ...headers, 'content-encoding': 'gzip' }, { isBase64Encoded: true });
  return respond(200, raw, headers);
});
