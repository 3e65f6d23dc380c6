/**
 * Fixes `@20minutes/s3rver`'s SigV4 query canonicalization before the server
 * loads (import this module before `@20minutes/s3rver`).
 *
 * The cause: its authentication middleware encodes query parameters for the
 * canonical request with JavaScript's `encodeURIComponent`, which leaves
 * `! ' ( ) *` as they are, while SigV4 (and the AWS SDK that signs our
 * presigned URLs) encodes every character outside RFC 3986's unreserved set,
 * so `'` is `%27` and `*` is `%2A`. A presigned GET whose
 * `response-content-disposition` carries RFC 6266's
 * `filename*=UTF-8''<pct-encoded>` (both a `*` and `''`, which are syntax
 * and cannot be encoded away) was therefore refused 403 locally while S3
 * accepts it. The server's own `encodeURIComponentRFC3986` helper (which it
 * uses for the path) is the right encoding; this loads its authentication
 * module with that one call swapped, into the CommonJS module cache, so the
 * server's `require` gets the fixed copy. If the expected line is not there
 * (the package changed), it throws: the local stack must not silently
 * accept different URLs than S3.
 */
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);
const file = require.resolve('@20minutes/s3rver/lib/middleware/authentication.js');
const BUGGY = '[param, value].map(encodeURIComponent)';

if (!require.cache[file]) {
  const source = readFileSync(file, 'utf8');
  if (source.split(BUGGY).length !== 2) {
    throw new Error(`local/s3rver-sigv4.ts: ${file} no longer contains "${BUGGY}" once; review the SigV4 query canonicalization fix.`);
  }
  const patched = new Module(file) as Module & { _compile(code: string, filename: string): void };
  patched.filename = file;
  patched.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  patched._compile(source.replace(BUGGY, '[param, value].map(encodeURIComponentRFC3986)'), file);
  patched.loaded = true;
  require.cache[file] = patched;
}
