/**
 * `lib/bundling.ts`, which the CDK synth and `npm run bench` both use: what
 * a function loads at init according to esbuild's metafile, and where its
 * source maps point. (`test/cdk/stack.test.ts` checks the same facts on the
 * synthesized assets, from the files alone.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFunction, bytesOf, codeFiles, importStackTraces, initFiles, packageOf, packagesIn, STACK_TRACES_MODULE } from '../../lib/bundling';
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

  it('maps stack traces through the source maps without reading any map at init (no --enable-source-maps)', () => {
    const dir = path.join(out, 'health');
    bundleFunction(PROJECT_ROOT, 'functions/http/health.ts', dir);
    // The maps are moved away for the import and put back before the error's stack is first read: a map looked up at
    // init would be cached as missing and the frames would stay minified.
    const probe = `
      import { readdirSync, renameSync } from 'node:fs';
      const dir = ${JSON.stringify(dir)};
      const maps = readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.map')).map((f) => dir + '/' + f);
      for (const m of maps) renameSync(m, m + '.away');
      let error;
      try { await import(dir + '/index.mjs'); } catch (e) { error = e; }
      for (const m of maps) renameSync(m + '.away', m);
      process.stdout.write(String(error?.stack));
    `;
    const { TABLE_NAME: _t, NODE_OPTIONS: _n, ...env } = process.env;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { env: { ...env, WS_ENDPOINT: 'https://ws.example.com/prod' }, encoding: 'utf8', timeout: 30_000 });
    const stack = result.stdout;
    expect(stack).toMatch(/^Error: Invalid configuration: TABLE_NAME: required, not set\n/);
    const throwLine = readFileSync(path.join(PROJECT_ROOT, 'functions/env.ts'), 'utf8').split('\n').findIndex((l) => l.includes('throw new Error(`Invalid configuration')) + 1;
    const [first, second] = stack.split('\n    at ').slice(1);
    expect(first).toContain(`${path.join(dir, 'functions/env.ts')}:${throwLine}:`);
    expect(second).toContain(`${path.join(dir, 'functions/config.ts')}:`);
    expect(stack).not.toMatch(/chunks\/chunk-[\w-]+\.mjs/);
  }, 120_000);

  it('appends the stack-trace import to every staged module but the formatter itself, moving no line', () => {
    const source = "import { x } from './y';\nexport const z = x;";
    expect(importStackTraces('config.ts', source)).toBe(`${source}\nimport './lib/source-mapped-stacks';\n`);
    expect(importStackTraces('http/put-user.ts', source)).toBe(`${source}\nimport '../lib/source-mapped-stacks';\n`);
    expect(importStackTraces('lib/http.ts', source)).toBe(`${source}\nimport './source-mapped-stacks';\n`);
    expect(importStackTraces(STACK_TRACES_MODULE, source)).toBe(source);
    expect(importStackTraces('domain/users.ts', source).split('\n').slice(0, 2)).toEqual(source.split('\n'));
  });

  it('names the package of a bundled input', () => {
    expect(packageOf('node_modules/@aws-sdk/client-dynamodb/dist-es/index.js')).toBe('@aws-sdk/client-dynamodb');
    expect(packageOf('node_modules/zod/v4/core/core.js')).toBe('zod');
    expect(packageOf('node_modules/a/node_modules/semver/index.js')).toBe('semver');
    expect(packageOf('functions/lib/http.ts')).toBeUndefined();
  });
});
