/**
 * The SDK is a package of its own (`sdk/`), installable with
 * `npm install ./sdk` from another project: its build must produce plain
 * ESM that Node loads without a bundler or TypeScript, with type
 * declarations, and it must not depend on anything from the server.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const sdkDir = resolve(__dirname, '../../sdk');
const tsc = resolve(__dirname, '../../node_modules/typescript/bin/tsc');
let workDir: string;

beforeAll(async () => {
  // Build a copy so the test never writes into the working tree.
  workDir = await mkdtemp(join(tmpdir(), 'chat-sdk-'));
  const pkg = join(workDir, 'node_modules', '@serverless-chat', 'client');
  await mkdir(pkg, { recursive: true });
  for (const entry of ['package.json', 'tsconfig.build.json', 'src', 'README.md']) await cp(join(sdkDir, entry), join(pkg, entry), { recursive: true });
  await run(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.build.json')]);
}, 120_000);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('SDK package', () => {
  it('has no dependencies and imports nothing outside its own folder', async () => {
    const manifest = JSON.parse(await readFile(join(sdkDir, 'package.json'), 'utf8'));
    expect(manifest.dependencies ?? {}).toEqual({});
    for (const file of await readdir(join(sdkDir, 'src'))) {
      const source = await readFile(join(sdkDir, 'src', file), 'utf8');
      const specifiers = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      for (const specifier of specifiers) expect(specifier, `${file} imports ${specifier}`).toMatch(/^\.\/[\w-]+\.js$/);
    }
  });

  it('builds to ESM that plain Node imports by package name, with type declarations', async () => {
    const pkg = join(workDir, 'node_modules', '@serverless-chat', 'client');
    expect(await readdir(join(pkg, 'dist'))).toEqual(expect.arrayContaining(['index.js', 'index.d.ts', 'socket.js', 'http.js', 'generated.js']));
    const script = join(workDir, 'consumer.mjs');
    await writeFile(
      script,
      `import { ChatClient, ChatSocket, ChatApiError, routes, WS_LIMITS } from '@serverless-chat/client';
       const api = new ChatClient({ baseUrl: 'http://127.0.0.1:9', token: 't', retries: 0 });
       const error = await api.getMe().catch((e) => e);
       console.log(JSON.stringify({ send: routes.sendMessage, method: typeof api.sendMessage, socket: typeof ChatSocket, isApiError: error instanceof ChatApiError, code: error.code, frame: WS_LIMITS.frameBytes }));`,
    );
    const { stdout } = await run(process.execPath, [script], { cwd: workDir });
    expect(JSON.parse(stdout)).toEqual({
      send: { method: 'POST', path: '/v1/chats/{chatId}/messages', auth: 'user', status: 201, idempotencyKey: 'clientMessageId' },
      method: 'function',
      socket: 'function',
      isApiError: true,
      code: 'network_error',
      frame: 32 * 1024,
    });
  }, 30_000);
});
