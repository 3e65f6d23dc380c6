/**
 * `lib/bundling.ts`, which the CDK synth and `npm run bench` both use: what
 * a function loads at init according to esbuild's metafile, and where its
 * source maps point. (`test/cdk/stack.test.ts` checks the same facts on the
 * synthesized assets, from the files alone.)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFunction, bytesOf, codeFiles, initFiles, packageOf, packagesIn } from '../../lib/bundling';
import { PROJECT_ROOT } from '../../lib/chat-function';

const out = mkdtempSync(path.join(tmpdir(), 'chat-bundling-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('bundleFunction', () => {
  it('loads the DynamoDB client at init for a data route, and splits the lazily imported clients into chunks', () => {
    const { metafile } = bundleFunction(PROJECT_ROOT, 'functions/http/send-message.ts', path.join(out, 'send'));
    const init = initFiles(metafile);
    const atInit = packagesIn(metafile, init);
    expect(atInit.has('@aws-sdk/client-dynamodb')).toBe(true);
    expect(atInit.has('@aws-lambda-powertools/logger')).toBe(true);
    // Imported with import(): in the asset, not loaded at init.
    const all = packagesIn(metafile, codeFiles(metafile));
    for (const lazy of ['@aws-sdk/client-s3', '@aws-sdk/client-sqs', '@aws-sdk/client-eventbridge', '@aws-lambda-powertools/tracer', 'aws-xray-sdk-core']) {
      expect(all.has(lazy), lazy).toBe(true);
      expect(atInit.has(lazy), lazy).toBe(false);
    }
    expect(bytesOf(metafile, init)).toBeLessThan(bytesOf(metafile, codeFiles(metafile)));
  }, 120_000);

  it('keeps the DynamoDB client out of the init files of a public route, and writes maps relative to the function root', () => {
    const dir = path.join(out, 'docs');
    const { metafile } = bundleFunction(PROJECT_ROOT, 'functions/http/openapi.ts', dir);
    expect(packagesIn(metafile, initFiles(metafile)).has('@aws-sdk/client-dynamodb')).toBe(false);
    const map = JSON.parse(readFileSync(path.join(dir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
    expect(map.sources).toContain('functions/http/openapi.ts');
    expect(map.sources.every((s) => !s.startsWith('..') && !path.isAbsolute(s))).toBe(true);
  }, 120_000);

  it('names the package of a bundled input', () => {
    expect(packageOf('node_modules/@aws-sdk/client-dynamodb/dist-es/index.js')).toBe('@aws-sdk/client-dynamodb');
    expect(packageOf('node_modules/zod/v4/core/core.js')).toBe('zod');
    expect(packageOf('node_modules/a/node_modules/semver/index.js')).toBe('semver');
    expect(packageOf('functions/lib/http.ts')).toBeUndefined();
  });
});
