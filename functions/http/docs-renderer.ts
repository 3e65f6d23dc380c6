/**
 * `GET /docs/redoc.js`: the renderer of `/docs`, Redoc's standalone browser
 * bundle from the `redoc` npm package (pinned in package.json), so the API
 * reference needs no CDN and works offline.
 *
 * Where the file is: on Lambda next to the function's bundle (the route's
 * `assets` in `functions/routes.ts`; `lib/chat-function.ts` copies it), in
 * the local stack in `node_modules`. It is read and gzip-compressed once per
 * cold start (~2.3 MB → ~0.65 MB; HTTP APIs do not compress responses) and
 * answered compressed to clients that accept gzip, with an ETag so a
 * browser's revalidation costs a 304 and no body.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { httpHandler } from '../lib/http';
import { httpRoute } from '../routes';

const FILE = 'redoc.standalone.js';

/** The bundled copy when there is one (Lambda), else the installed package (local stack, tests). */
export function rendererPath(): string {
  const bundled = fileURLToPath(new URL(`./${FILE}`, import.meta.url));
  if (existsSync(bundled)) return bundled;
  return createRequire(import.meta.url).resolve(`redoc/bundles/${FILE}`);
}

let renderer: { raw: string; gzip: string; etag: string } | undefined;

function load() {
  if (!renderer) {
    const bytes = readFileSync(rendererPath());
    renderer = {
      raw: bytes.toString('utf8'),
      gzip: gzipSync(bytes, { level: 9 }).toString('base64'),
      etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`,
    };
  }
  return renderer;
}

export const handler = httpHandler(httpRoute('DocsRenderer'), async ({ event }) => {
  const { raw, gzip, etag } = load();
  const headers = {
    'content-type': 'text/javascript; charset=utf-8',
    'cache-control': 'public, max-age=3600',
    etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
  };
  if (event.headers?.['if-none-match']?.split(/\s*,\s*/).includes(etag)) return { status: 304, headers };
  if (/\bgzip\b/.test(event.headers?.['accept-encoding'] ?? '')) return { status: 200, body: gzip, headers: { ...headers, 'content-encoding': 'gzip' }, isBase64Encoded: true };
  return { status: 200, body: raw, headers };
});
