/**
 * The SDK is a package of its own (`sdk/`). What a client team does with it,
 * step by step, on a copy (so the test never writes into the working tree):
 *
 * 1. `npm pack` of `sdk/`: its `prepack` builds `dist/` with tsc, and the
 *    tarball holds the build, the type declarations, the README and the
 *    CHANGELOG, and nothing of the server;
 * 2. `npm install <tarball> --offline` into a fresh project (no registry: the
 *    SDK has no dependencies);
 * 3. plain Node imports it by package name (ESM, no bundler, no TypeScript);
 * 4. tsc typechecks a consumer against the installed declarations, and
 *    refuses a call the API does not have.
 *
 * Issue 16: `npm install ../sdk` used to fail (`tsc: not found` from a
 * `prepare` script, then `ERR_MODULE_NOT_FOUND …/dist/index.js`).
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');
const sdkDir = join(root, 'sdk');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
/** npm without the registry: a fresh project installs the tarball alone. */
const npm = (args: string[], cwd: string) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    // The copy is outside the repository, so its prepack finds tsc through PATH, as in a checkout with `npm ci` done.
    env: { ...process.env, PATH: `${join(root, 'node_modules/.bin')}${delimiter}${process.env.PATH}`, npm_config_update_notifier: 'false' },
    timeout: 120_000,
  });

let workDir: string;
let tarball: string;
let packed: { filename: string; files: { path: string }[] };
let consumer: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'chat-sdk-'));
  const copy = join(workDir, 'sdk');
  await mkdir(copy);
  for (const entry of await readdir(sdkDir)) {
    if (entry !== 'dist' && entry !== 'node_modules') await cp(join(sdkDir, entry), join(copy, entry), { recursive: true });
  }
  const { stdout } = await npm(['pack', '--json', '--pack-destination', workDir], copy);
  packed = (JSON.parse(stdout) as (typeof packed)[])[0]!;
  tarball = join(workDir, packed.filename);

  consumer = join(workDir, 'app');
  await mkdir(consumer);
  await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
  await npm(['install', '--offline', tarball], consumer);
}, 240_000);

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

  it('packs the build, its types, the README and the CHANGELOG, and nothing else', () => {
    const files = packed.files.map((f) => f.path).sort();
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts', 'dist/socket.js', 'dist/http.js', 'dist/generated.d.ts']));
    expect(files.filter((f) => !/^(package\.json|README\.md|CHANGELOG\.md|dist\/[\w-]+\.(js|js\.map|d\.ts)|src\/[\w-]+\.ts)$/.test(f))).toEqual([]);
  });

  it('installs offline from the tarball into a fresh project, and plain Node imports it by name', async () => {
    const installed = JSON.parse(await readFile(join(consumer, 'node_modules/@serverless-chat/client/package.json'), 'utf8'));
    expect(installed.name).toBe('@serverless-chat/client');
    await writeFile(
      join(consumer, 'consumer.mjs'),
      `import { ChatClient, ChatSocket, ChatApiError, routes, WS_LIMITS } from '@serverless-chat/client';
       const api = new ChatClient({ baseUrl: 'http://127.0.0.1:9', token: 't', retries: 0 });
       const error = await api.getMe().catch((e) => e);
       console.log(JSON.stringify({ send: routes.sendMessage, method: typeof api.sendMessage, socket: typeof ChatSocket, isApiError: error instanceof ChatApiError, code: error.code, frame: WS_LIMITS.frameBytes }));`,
    );
    const { stdout } = await run(process.execPath, ['consumer.mjs'], { cwd: consumer });
    expect(JSON.parse(stdout)).toEqual({
      send: { method: 'POST', path: '/v1/chats/{chatId}/messages', auth: 'user', status: 201, idempotencyKey: 'clientMessageId' },
      method: 'function',
      socket: 'function',
      isApiError: true,
      code: 'network_error',
      frame: 32 * 1024,
    });
  }, 30_000);

  it('typechecks a consumer against the installed declarations, and refuses what the API does not have', async () => {
    await writeFile(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, lib: ['ES2022', 'DOM'], types: [] }, include: ['*.ts'] }),
    );
    await writeFile(
      join(consumer, 'good.ts'),
      `import { ChatClient, ChatSocket, type Message } from '@serverless-chat/client';
       const api = new ChatClient({ baseUrl: 'http://127.0.0.1:3000', token: () => 'jwt' });
       const socket = new ChatSocket({ url: 'ws://127.0.0.1:3000/ws', token: () => 'jwt', api });
       export async function hello(): Promise<Message> {
         const { chat } = await api.createChat({ type: 'direct', participantIds: ['bob'] });
         socket.on('message.new', ({ chatId, message }) => console.log(chatId, message.seq));
         const { message } = await api.sendMessage(chat.id, { content: 'hi' });
         return message;
       }`,
    );
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer });

    // A body field the route does not take, and a method that does not exist: both refused.
    await writeFile(
      join(consumer, 'bad.ts'),
      `import { ChatClient } from '@serverless-chat/client';
       const api = new ChatClient({ baseUrl: 'http://127.0.0.1:3000', token: 'jwt' });
       void api.sendMessage('c1', { contnt: 'typo' });
       void api.deleteEverything();`,
    );
    const failed = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer }).then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    );
    await rm(join(consumer, 'bad.ts'));
    expect(failed).toMatch(/bad\.ts.*'contnt' does not exist/);
    expect(failed).toMatch(/bad\.ts.*Property 'deleteEverything' does not exist/);
  }, 60_000);
});
