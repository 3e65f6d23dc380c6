/**
 * `local/start.ts` end to end through the test harness: the child starts,
 * answers `/health`, mints tokens the real handlers accept, serves the
 * WebSocket, and SIGTERM stops it with DynamoDB Local.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/launcher';
import { connect, connectExpectRefusal } from '../support/ws-client';

function javaOn(port: string) {
  try {
    return execFileSync('pgrep', ['-f', `DynamoDBLocal.jar.*-port ${port} `], { encoding: 'utf8' }).trim();
  } catch {
    return ''; // pgrep exits 1 when nothing matches
  }
}

describe('local stack (npm start)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ env: { WS_IDLE_TIMEOUT_MS: '60000' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('serves the real handlers with tokens from /dev/token', async () => {
    const health = await fetch(`${stack.baseUrl}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('apigw-requestid')).toBeTruthy();

    const token = await stack.token('stack-user', { name: 'Stack User', roles: ['support'] });
    const me = await fetch(`${stack.baseUrl}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { id: 'stack-user', name: 'Stack User' } });

    expect((await fetch(`${stack.baseUrl}/v1/me`)).status).toBe(401);
    const expired = await stack.token('stack-user', { expiresIn: -60 });
    expect((await fetch(`${stack.baseUrl}/v1/me`, { headers: { authorization: `Bearer ${expired}` } })).status).toBe(401);
  });

  it('accepts WebSocket connections with a valid token only', async () => {
    expect(await connectExpectRefusal(stack.wsUrl, 'not-a-jwt')).toBe(401);
    const client = await connect(stack.wsUrl, await stack.token('ws-user'));
    expect(await client.request('ping')).toMatchObject({ type: 'pong' });
    await client.close();
  });

  it('stops on SIGTERM together with DynamoDB Local', async () => {
    const port = new URL(stack.dynamoEndpoint).port;
    expect(javaOn(port)).not.toBe('');
    await stack.stop();
    expect(javaOn(port)).toBe('');
    expect((await fetch(`${stack.baseUrl}/health`).catch(() => undefined))?.status).toBeUndefined();
  });
});
