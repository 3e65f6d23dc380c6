/**
 * Issue 16: a quiet console. A handler that records no metric writes
 * nothing to stdout or stderr, on Lambda (where every line is billed by
 * CloudWatch Logs) as locally; one that records metrics writes exactly one
 * EMF line. Each case runs the real middy stack (`httpHandler`) in a fresh
 * Node process with Lambda's environment and reads everything it printed.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

const CHILD = `
const { httpHandler } = await import('./functions/lib/http.ts');
const { count } = await import('./functions/lib/metrics.ts');
const z = await import('zod');
// A JSON body schema, so a body that is not JSON takes the stack's 400 path.
const route = { name: 'Quiet', method: 'POST', path: '/quiet', handler: 'x', auth: 'none', access: 'anyone', summary: '', permissions: [], body: z.object({}), response: { status: 200 } };
const handler = httpHandler(route, async ({ event }) => {
  if (event.queryStringParameters?.count) count('MessagesSent', Number(event.queryStringParameters.count));
  return { ok: true };
});
const event = (query) => ({ version: '2.0', routeKey: 'POST /quiet', rawPath: '/quiet', rawQueryString: '', headers: {}, queryStringParameters: query,
  requestContext: { requestId: 'r', http: { method: 'POST', path: '/quiet', sourceIp: '127.0.0.1', userAgent: '' }, domainName: 'x', stage: '$default' }, isBase64Encoded: false,
  // A body that is not JSON: the 400 path of the stack.
  ...(query?.fail ? { body: '{', headers: { 'content-type': 'application/json' } } : {}) });
const context = { functionName: 'Quiet', awsRequestId: 'a', invokedFunctionArn: 'arn:aws:lambda:us-east-1:1:function:Quiet', memoryLimitInMB: '256', getRemainingTimeInMillis: () => 1000 };
const statuses = [];
for (const query of JSON.parse(process.env.QUERIES)) statuses.push((await handler(event(query), context)).statusCode);
process.stderr.write('STATUSES ' + JSON.stringify(statuses) + '\\n');
`;

/** Runs the handler once per query; resolves with what the process printed (minus the status line) and the statuses. */
function invoke(queries: Record<string, string>[], env: Record<string, string> = {}): Promise<{ output: string; statuses: number[] }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('POWERTOOLS_')));
  const lambda = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', AWS_LAMBDA_FUNCTION_NAME: 'Quiet', POWERTOOLS_TRACE_ENABLED: 'false',
    TABLE_NAME: 'chat', WS_ENDPOINT: 'https://ws.example', OIDC_ISSUER: 'https://issuer.example', OIDC_AUDIENCE: 'chat', OIDC_JWKS_URI: 'https://issuer.example/jwks', QUERIES: JSON.stringify(queries) };
  return new Promise((done, fail) =>
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { cwd: root, env: { ...base, ...lambda, ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) return fail(new Error(stderr || error.message));
      const statusLine = stderr.split('\n').find((l) => l.startsWith('STATUSES '));
      done({ output: stdout + stderr.replace(/^STATUSES .*\n/m, ''), statuses: JSON.parse(statusLine!.slice('STATUSES '.length)) as number[] });
    }),
  );
}

describe('quiet console', () => {
  it('prints nothing for invocations without metrics (no "No application metrics to publish")', async () => {
    const { output, statuses } = await invoke([{}, {}, { fail: '1' }]);
    expect(statuses).toEqual([200, 200, 400]);
    expect(output).not.toContain('No application metrics');
    expect(output).toBe('');
  });

  it('prints nothing with metrics disabled, as the local stack runs them', async () => {
    const { output } = await invoke([{}, { count: '1' }], { POWERTOOLS_METRICS_DISABLED: 'true' });
    expect(output).toBe('');
  });

  it('still publishes recorded metrics as exactly one EMF line per invocation', async () => {
    const { output, statuses } = await invoke([{ count: '2' }, {}]);
    expect(statuses).toEqual([200, 200]);
    const lines = output.trim().split('\n');
    expect(lines).toHaveLength(1);
    const emf = JSON.parse(lines[0]!) as { _aws: { CloudWatchMetrics: { Namespace: string }[] }; MessagesSent: number };
    expect(emf._aws.CloudWatchMetrics[0]!.Namespace).toBe('ServerlessChat');
    expect(emf.MessagesSent).toBe(2);
  });
});
