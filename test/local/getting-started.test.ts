/**
 * A newcomer's first commands, as the README and the `npm start` banner give
 * them, run for real against a stack on a non-default port (issue 16):
 *
 * - the banner's token command carries that `PORT`, and its token works;
 * - `npm run token -- u --expires-in -60` mints an expired token (401);
 * - the tour's step 3, copied from README.md, works on a fresh stack where
 *   nobody signed in through the web client (step 2 skipped);
 * - `npm run ws` (instead of `npx wscat`) prints the user's events and sends
 *   the frames typed on stdin.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/launcher';

const root = resolve(__dirname, '../..');
let stack: LocalStack;
let port: string;

beforeAll(async () => {
  stack = await startLocalStack();
  port = new URL(stack.baseUrl).port;
  // The banner follows the first healthy answer.
  for (let i = 0; i < 100 && !/^ready$/m.test(stack.output()); i++) await new Promise((r) => setTimeout(r, 100));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** The environment a person's shell has: no vitest markers, the stack's PORT. */
function shellEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_ENV' && k !== 'PORT'));
  return env;
}

function sh(script: string, env: NodeJS.ProcessEnv = shellEnv()): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile('bash', ['-c', script], { cwd: root, env, timeout: 60_000 }, (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    ),
  );
}

async function me(token: string): Promise<{ status: number; body: { user?: { id: string; name: string } } }> {
  const res = await fetch(`${stack.baseUrl}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as { user?: { id: string; name: string } } };
}

describe('getting started', () => {
  it("the banner's token command carries the non-default PORT, and its token works", async () => {
    expect(port).not.toBe('3000');
    const line = stack.output().split('\n').find((l) => l.includes('Token:'))!;
    expect(line).toContain(`TOKEN=$(PORT=${port} npm run -s token -- alice --name Alice)`);
    expect(stack.output()).toContain(`Events:    PORT=${port} npm run -s ws -- alice`);
    expect(stack.output()).toContain(`API docs   ${stack.baseUrl}/docs`);
    const command = /TOKEN=\$\((.*)\)/.exec(line)![1]!;
    // Run exactly what the banner says, from a shell without PORT set.
    const { code, stdout, stderr } = await sh(command);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(await me(stdout.trim())).toMatchObject({ status: 200, body: { user: { id: 'alice', name: 'Alice' } } });
  }, 60_000);

  it('npm run token -- u --expires-in -60 mints an expired token, which answers 401', async () => {
    const { code, stdout, stderr } = await sh(`PORT=${port} npm run -s token -- u --expires-in -60`);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect((await me(stdout.trim())).status).toBe(401);
    const bad = await sh(`PORT=${port} npm run -s token -- u --expires-in soon`);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--expires-in must be a whole number of seconds');
  }, 60_000);

  it("the tour's step 3 from README.md works on a fresh stack where step 2 was skipped", async () => {
    const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
    const step = readme.slice(readme.indexOf('3. **Send from the command line**'));
    const block = /```sh\n([\s\S]*?)```/.exec(step)![1]!.replace(/^ {3}/gm, '');
    expect(block).toContain('API=http://127.0.0.1:3000');
    // The reader's stack is on 3000; this one is elsewhere, so point both the URL and the scripts at it.
    const script = `set -euo pipefail\nexport PORT=${port}\n${block.replace('API=http://127.0.0.1:3000', `API=${stack.baseUrl}`)}`;
    const { code, stdout, stderr } = await sh(script);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const answer = JSON.parse(stdout) as { message: { content: string; senderId: string }; chat: { type: string } };
    expect(answer.message).toMatchObject({ content: 'Hi Bob, from curl', senderId: 'alice' });
    expect(answer.chat.type).toBe('direct');
  }, 60_000);

  it('npm run ws prints the live events of a user and sends what is typed on stdin', async () => {
    const child = spawn('npm', ['run', '-s', 'ws', '--', 'wsbob', '--name', 'Bob'], { cwd: root, env: { ...shellEnv(), PORT: port }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number>((done) => child.once('exit', (code) => done(code ?? 1)));
    try {
      await expect.poll(() => stderr, { timeout: 30_000 }).toContain('connected to');
      const alice = await stack.token('wsalice', { name: 'Alice' });
      const res = await fetch(`${stack.baseUrl}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
        body: JSON.stringify({ to: 'wsbob', content: 'to the terminal' }),
      });
      expect(res.status).toBe(201);
      await expect.poll(() => stdout, { timeout: 10_000 }).toContain('"type":"message.new"');
      const event = JSON.parse(stdout.split('\n').find((l) => l.includes('"message.new"'))!) as { message: { content: string } };
      expect(event.message.content).toBe('to the terminal');
      child.stdin.write('{"action":"ping"}\n');
      await expect.poll(() => stdout, { timeout: 10_000 }).toContain('{"type":"pong"}');
      child.stdin.end();
      expect(await exited).toBe(0);
    } finally {
      child.kill();
    }
  }, 90_000);
});
