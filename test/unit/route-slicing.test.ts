/**
 * `lib/route-slicing.ts` and its use by `bundleFunction`: each function's
 * bundle builds only its own route's schemas (issue 20), the docs routes
 * still get the whole table, and a sliced bundle still validates and answers
 * as the route table says.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFunction } from '../../lib/bundling';
import { PROJECT_ROOT } from '../../lib/chat-function';
import { annotatePure, splitRouteTable, staticRouteLookups } from '../../lib/route-slicing';
import { httpRoutes, wsRoutes } from '../../functions/routes';

const out = mkdtempSync(path.join(tmpdir(), 'chat-slicing-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** All JavaScript of a bundle, entry and chunks. */
function code(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
}

/** Tree-shakes `source` as a module the bundle's entry imports `used` from (zod left external). */
function shake(source: string, used: string): string {
  writeFileSync(path.join(out, 'shaken.ts'), source);
  return buildSync({
    stdin: { contents: `import { ${used} } from './shaken';\nexport const __used = [${used}];`, loader: 'ts', resolveDir: out },
    bundle: true,
    format: 'esm',
    write: false,
    external: ['zod'],
  }).outputFiles[0]!.text;
}

describe('annotatePure', () => {
  it('lets esbuild drop unused schemas, with what they build and the lookups they make', () => {
    const source = [
      "import * as z from 'zod';",
      "export const A = z.string().min(1).describe('kept');",
      "export const B = z.object({ b: A, other: z.number().describe('dropped') });",
      "const Events = { one: z.object({ one: z.literal('dropped too') }) };",
      "export const C = z.union([Events['one'], B]);",
      'const LIST = [...[1, 2], 3] as const;',
      'export const D = [...LIST];',
    ].join('\n');
    const shaken = shake(annotatePure(source), 'A');
    expect(shaken).toContain("'kept'".replace(/'/g, '"'));
    expect(shaken).not.toContain('dropped');
    expect(shaken).not.toContain('LIST');
    // Used, everything is still there.
    expect(shake(annotatePure(source), 'C, D')).toContain('dropped too');
  });

  it('leaves functions and statements alone', () => {
    const source = "export function f() { const x = g(); return x; }\nconsole.log('side effect');\nexport const y = 1;";
    expect(annotatePure(source)).toBe("export function f() { const x = g(); return x; }\nconsole.log('side effect');\nexport const y = /* @__PURE__ */ (() => (1))();");
  });
});

describe('splitRouteTable and staticRouteLookups', () => {
  const table = readFileSync(path.join(PROJECT_ROOT, 'functions/routes.ts'), 'utf8');
  const split = splitRouteTable(table);

  it('turns every route into a named constant the arrays list in the same order', () => {
    for (const r of httpRoutes) expect(split).toContain(`export const __http_${r.name} = `);
    for (const r of wsRoutes) expect(split).toContain(`export const __ws_${r.routeKey} = `);
    const list = /export const httpRoutes = \[([^\]]*)\]/.exec(split)![1]!.split(', ');
    expect(list).toEqual(httpRoutes.map((r) => `__http_${r.name}`));
  });

  it('replaces literal lookups with the constant, imported from where httpRoute came from', () => {
    const handler = "import { httpHandler } from '../lib/http';\nimport { httpRoute } from '../routes';\nexport const handler = httpHandler(httpRoute('MarkRead'), fn);";
    const rewritten = staticRouteLookups(handler);
    expect(rewritten).toContain('httpHandler(__http_MarkRead, fn)');
    expect(rewritten).toContain("import { __http_MarkRead } from '../routes';");
    expect(staticRouteLookups("import { wsRoute } from '../routes';\nwsHandler(wsRoute('$connect'))")).toContain('wsHandler(__ws_$connect)');
    expect(staticRouteLookups('const x = 1;')).toBe('const x = 1;');
  });
});

describe('bundles of one route', () => {
  const markRead = path.join(out, 'mark-read');
  let markReadCode = '';
  beforeAll(() => {
    bundleFunction(PROJECT_ROOT, 'functions/http/mark-read.ts', markRead);
    markReadCode = code(markRead);
  }, 120_000);

  it("contain that route's entry and schemas, not another route's", () => {
    expect(markReadCode).toContain('/v1/chats/{chatId}/read');
    // SendMessage's path and its body schema's bound; PutUser's summary.
    expect(markReadCode).not.toContain('/v1/chats/{chatId}/messages"');
    expect(markReadCode).not.toContain('Provision or update a user');
    expect(markReadCode).not.toContain('give name (provisioning) or banned');
    // WebSocket routes and their frames (SPEC §6) are not in an HTTP function either.
    expect(markReadCode).not.toContain('functions/ws/connect.ts');
  });

  it('keeps the whole table where it is used whole (the OpenAPI document)', { timeout: 120_000 }, () => {
    const dir = path.join(out, 'openapi');
    bundleFunction(PROJECT_ROOT, 'functions/http/openapi.ts', dir);
    const all = code(dir);
    for (const r of httpRoutes) expect(all, r.name).toContain(r.path);
  });

  it("still validates with the route's own schemas and enforces its auth", { timeout: 120_000 }, () => {
    const health = path.join(out, 'health');
    bundleFunction(PROJECT_ROOT, 'functions/http/health.ts', health);
    const call = (dir: string, event: object) =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const { handler } = await import(${JSON.stringify(pathToFileURL(path.join(dir, 'index.mjs')).href)});
             const r = await handler(${JSON.stringify(event)}, { awsRequestId: 'r', functionName: 'f', getRemainingTimeInMillis: () => 1000 });
             process.stdout.write(JSON.stringify({ status: r.statusCode, body: JSON.parse(r.body) }));`,
          ],
          {
            env: {
              PATH: process.env.PATH ?? '',
              TABLE_NAME: 'chat',
              WS_ENDPOINT: 'http://127.0.0.1:9/ws',
              AUTH_MODE: 'oidc',
              OIDC_ISSUER: 'http://127.0.0.1:9/issuer',
              OIDC_AUDIENCE: 'chat',
              OIDC_JWKS_URI: 'http://127.0.0.1:9/jwks',
              AWS_REGION: 'us-east-1',
              POWERTOOLS_LOG_LEVEL: 'SILENT',
              POWERTOOLS_TRACE_ENABLED: 'false',
            },
          },
        ).toString(),
      ) as { status: number; body: { code: string } };
    const http = (method: string, routeKey: string, rawPath: string, extra: object) => ({
      version: '2.0',
      routeKey,
      rawPath,
      rawQueryString: '',
      headers: { 'content-type': 'application/json' },
      requestContext: { http: { method, path: rawPath }, requestId: 'r', routeKey },
      isBase64Encoded: false,
      ...extra,
    });
    const badQuery = call(health, http('GET', 'GET /health', '/health', { queryStringParameters: { deep: 'maybe' } }));
    expect(badQuery).toMatchObject({ status: 400, body: { code: 'bad_request' } });
    const noToken = call(markRead, http('POST', 'POST /v1/chats/{chatId}/read', '/v1/chats/abc/read', { pathParameters: { chatId: 'abc' }, body: '{}' }));
    expect(noToken).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
  });
});
