/**
 * With tracing off the Powertools tracer, and with it the X-Ray SDK and the
 * promise-tracking async hook it enables, is never loaded (see
 * `functions/lib/tracer.ts`). Each case imports the module in a fresh Node
 * process, as a cold start would, and reports which CommonJS modules got
 * loaded and what the helpers did.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

const CHILD = `
import { createRequire } from 'node:module';
const t = await import('./functions/lib/tracer.ts');
const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
const client = new DynamoDBClient({ region: 'us-east-1' });
const loaded = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify({
  xray: loaded.some((f) => f.includes('/aws-xray-sdk-core/')),
  clsHooked: loaded.some((f) => f.includes('/cls-hooked/')),
  tracer: t.tracer !== undefined,
  sameClient: t.traced(client) === client,
  middleware: Object.keys(t.withTracing()),
}));
`;

function coldImport(env: Record<string, string>): Promise<{ xray: boolean; clsHooked: boolean; tracer: boolean; sameClient: boolean; middleware: string[] }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('POWERTOOLS_') && k !== 'AWS_EXECUTION_ENV'));
  return new Promise((done, fail) =>
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { cwd: root, env: { ...base, ...env }, timeout: 30_000 }, (error, stdout, stderr) =>
      error ? fail(new Error(stderr || error.message)) : done(JSON.parse(stdout.trim().split('\n').pop()!)),
    ),
  );
}

describe('tracing off', () => {
  it('outside Lambda: nothing of the tracer is loaded and the helpers pass through', async () => {
    expect(await coldImport({})).toEqual({ xray: false, clsHooked: false, tracer: false, sameClient: true, middleware: ['before'] });
  });

  it('on Lambda with POWERTOOLS_TRACE_ENABLED=false: the same', async () => {
    expect(await coldImport({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', POWERTOOLS_TRACE_ENABLED: 'false' })).toMatchObject({ xray: false, tracer: false });
  });

  it('on Lambda by default: the tracer and the X-Ray SDK are loaded and wrap the handler', async () => {
    const on = await coldImport({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' });
    expect(on).toMatchObject({ xray: true, clsHooked: true, tracer: true });
    expect(on.middleware).toEqual(expect.arrayContaining(['before', 'after', 'onError']));
  });
});
