/**
 * The local gateway's `@connections` management API
 * (`local/gateway/connections-api.ts`) as the handlers call it with the AWS
 * SDK: posts, descriptions, deletes, its errors, and that it answers on its
 * own loopback port only, never on the public one.
 */
import { DeleteConnectionCommand, GetConnectionCommand, PostToConnectionCommand, type ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../local/gateway';
import { connect } from '../support/ws-client';
import { connectEvents, disconnectEvents, fixture, managementClient, sleep, useFakeGateway } from './fake-gateway';

useFakeGateway();
let gateway: Gateway;
let management: ApiGatewayManagementApiClient;
beforeAll(() => void ({ gateway, management } = fixture));

describe('@connections management API', () => {
  it('delivers posts in order, describes and deletes connections, fires $disconnect once', async () => {
    const client = await connect(gateway.wsUrl, 'good');
    const connectionId: string = connectEvents.at(-1).requestContext.connectionId;

    await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{"type":"hello","n":1}') }));
    expect(await client.next((f) => f.type === 'hello')).toEqual({ type: 'hello', n: 1 });

    expect(await client.request('burst', { count: 20 })).toMatchObject({ type: 'ack' });
    const burst = client.received.filter((f) => f.type === 'burst').map((f) => f.i);
    expect(burst).toEqual([...Array(20).keys()]);

    const info = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.LastActiveAt).toBeInstanceOf(Date);
    expect(info.LastActiveAt!.getTime()).toBeGreaterThanOrEqual(info.ConnectedAt!.getTime());
    expect(info.Identity).toMatchObject({ SourceIp: '127.0.0.1' });

    await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    const closed = await client.closed;
    expect(closed.code).toBe(1000);
    await sleep(100);
    const mine = disconnectEvents.filter((e) => e.requestContext.connectionId === connectionId);
    expect(mine).toHaveLength(1);
    expect(mine[0].requestContext).toMatchObject({ routeKey: '$disconnect', eventType: 'DISCONNECT', disconnectStatusCode: 1000 });

    const gone = await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{}') })).catch((e: Error) => e);
    expect((gone as Error).name).toBe('GoneException');
  });

  it.each([
    ['PostToConnection', () => new PostToConnectionCommand({ ConnectionId: 'Lb3xYc1KoAMCJ7Q=', Data: Buffer.from('{}') })],
    ['GetConnection', () => new GetConnectionCommand({ ConnectionId: 'Lb3xYc1KoAMCJ7Q=' })],
    ['DeleteConnection', () => new DeleteConnectionCommand({ ConnectionId: 'Lb3xYc1KoAMCJ7Q=' })],
  ])('answers %s on an unknown id with GoneException', async (_name, command) => {
    const error = await management.send(command() as any).catch((e: Error) => e);
    expect((error as Error).name).toBe('GoneException');
  });

  it('answers PayloadTooLargeException over 128 KB, accepts a stage prefix, and 403 without a signature', async () => {
    const client = await connect(gateway.wsUrl, 'good');
    const connectionId: string = connectEvents.at(-1).requestContext.connectionId;
    const tooBig = await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.alloc(128 * 1024 + 1, 0x61) })).catch((e: Error) => e);
    expect((tooBig as Error).name).toBe('PayloadTooLargeException');

    // The stage prefix of an AWS endpoint is accepted too.
    const staged = managementClient(`${gateway.connectionsUrl}/production`);
    await staged.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{"type":"staged"}') }));
    expect(await client.next((f) => f.type === 'staged')).toEqual({ type: 'staged' });
    staged.destroy();

    const unsigned = await fetch(`${gateway.connectionsUrl}/@connections/${encodeURIComponent(connectionId)}`, { method: 'POST', body: '{}' });
    expect(unsigned.status).toBe(403);
    await client.close();
  });

  it('fires $disconnect exactly once when the client closes', async () => {
    const client = await connect(gateway.wsUrl, 'good');
    const connectionId: string = connectEvents.at(-1).requestContext.connectionId;
    await client.close(4000);
    await sleep(100);
    const mine = disconnectEvents.filter((e) => e.requestContext.connectionId === connectionId);
    expect(mine).toHaveLength(1);
    expect(mine[0].requestContext.disconnectStatusCode).toBe(4000);
    expect(gateway.connectionIds()).not.toContain(connectionId);
  });
});


describe('its own port', () => {
  it.each(['POST', 'GET', 'DELETE'])('is not served on the public port: %s /@connections/{id} there is an unknown route (404)', async (method) => {
    const client = await connect(gateway.wsUrl, 'good');
    const connectionId: string = connectEvents.at(-1).requestContext.connectionId;
    for (const path of [`/@connections/${encodeURIComponent(connectionId)}`, `/prod/@connections/${encodeURIComponent(connectionId)}`]) {
      const res = await fetch(`${gateway.url}${path}`, { method, headers: { authorization: 'AWS4-HMAC-SHA256 Credential=x' }, ...(method === 'POST' ? { body: '{"type":"forged"}' } : {}) });
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ message: 'Not Found' });
    }
    expect(await client.quiet((f) => f.type === 'forged', 200)).toBe(true);
    expect(gateway.connectionIds()).toContain(connectionId);
    await client.close();
  });

  it('is a loopback port apart from the public one, serving nothing else', async () => {
    expect(new URL(gateway.connectionsUrl).hostname).toBe('127.0.0.1');
    expect(gateway.connectionsPort).not.toBe(gateway.port);
    const other = await fetch(`${gateway.connectionsUrl}/items/special`);
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ message: 'Not Found' });
  });
});
