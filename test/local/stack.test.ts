/**
 * `local/start.ts` end to end through the test harness: the child starts,
 * answers `/health`, mints tokens the real handlers accept, serves the
 * WebSocket, listens on loopback addresses only, keeps `@connections` off
 * the public port, and SIGTERM stops it with DynamoDB Local.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/launcher';
import { connectionIdsOf } from '../support/connections';
import { connect, connectExpectRefusal } from '../support/ws-client';
import { CAN_READ_SOCKETS, isLoopback, listeningSockets, processTree } from './sockets';

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

  it.runIf(CAN_READ_SOCKETS)('listens on 127.0.0.1 only: gateway, @connections, DynamoDB Local and S3', () => {
    const sockets = listeningSockets(processTree(stack.pid));
    const port = (url: string) => Number(new URL(url).port);
    expect(new Set(sockets.map((s) => s.port))).toEqual(
      new Set([port(stack.baseUrl), port(stack.connectionsUrl!), port(stack.dynamoEndpoint), port(stack.s3Endpoint)]),
    );
    expect(sockets.filter((s) => !isLoopback(s.address))).toEqual([]);
  });

  it('refuses forged frames: @connections is not served on the public port, only on the handlers\' own', async () => {
    // The attack: a client of the stack pushes a server event into someone else's connection through the
    // management API, which used to answer on the public port to any Authorization header.
    const victim = await connect(stack.wsUrl, await stack.token('forge-victim'));
    const attacker = await stack.token('forge-attacker');
    const [connectionId] = await connectionIdsOf('forge-victim', stack.info);
    expect(connectionId).toBeTruthy();
    const forged = JSON.stringify({ type: 'message.new', chatId: 'c-forged', message: { id: 'm-forged', content: 'Your account is locked: sign in at https://evil.example' } });
    for (const path of [`/@connections/${encodeURIComponent(connectionId)}`, `/prod/@connections/${encodeURIComponent(connectionId)}`]) {
      for (const method of ['POST', 'GET', 'DELETE']) {
        const res = await fetch(`${stack.baseUrl}${path}`, {
          method,
          headers: { authorization: `AWS4-HMAC-SHA256 Credential=S3RVER/20260101/us-east-1/execute-api/aws4_request, Bearer ${attacker}` },
          ...(method === 'POST' ? { body: forged } : {}),
        });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(await res.json()).toEqual({ message: 'Not Found' });
      }
    }
    expect(await victim.quiet((f) => f.type === 'message.new', 300)).toBe(true);
    expect(await victim.request('ping')).toMatchObject({ type: 'pong' });

    // The id was right: the handlers' endpoint (WS_ENDPOINT, a loopback port no client is told) delivers to it.
    const real = await fetch(`${stack.connectionsUrl}/@connections/${encodeURIComponent(connectionId)}`, {
      method: 'POST',
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=S3RVER/20260101/us-east-1/execute-api/aws4_request' },
      body: JSON.stringify({ type: 'server.test' }),
    });
    expect(real.status).toBe(200);
    expect(await victim.next((f) => f.type === 'server.test')).toEqual({ type: 'server.test' });
    await victim.close();
  });

  it('stops on SIGTERM together with DynamoDB Local', async () => {
    const port = new URL(stack.dynamoEndpoint).port;
    expect(javaOn(port)).not.toBe('');
    await stack.stop();
    expect(javaOn(port)).toBe('');
    expect((await fetch(`${stack.baseUrl}/health`).catch(() => undefined))?.status).toBeUndefined();
  });
});
