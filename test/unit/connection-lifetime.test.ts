/**
 * Issue 13 item 4 (Medium) and issue 19's "WebSocket connections outlive
 * their token": a connection opened with a 3-second token still sent and
 * received after expiry. SPEC §6: after the token's `exp` the connection
 * receives nothing, its frames answer `unauthorized`, and the server closes
 * it (`@connections` DELETE); roles are those of the token.
 */
import { describe, expect, it } from 'vitest';
import { createChat } from '../../functions/domain/chats';
import { connect, ConnectionExpiredError, expireConnection, frameCaller } from '../../functions/domain/connections';
import { principalFromClaims } from '../../functions/domain/identity';
import { createNotifier } from '../../functions/lib/delivery';
import { memoryContext, user } from '../support/memory';

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

describe('a WebSocket connection lives no longer than its token', () => {
  it('takes the token\'s exp (and roles) when it opens', async () => {
    const { ctx, repo } = memoryContext({ start: new Date() });
    const now = seconds(ctx.now());
    const short = principalFromClaims({ sub: 'alice', exp: now + 3, roles: ['admin'] });
    expect(short.tokenExpiresAt).toBe(now + 3);
    const connection = await connect(ctx, short, 'c-short', 7200);
    expect(connection).toMatchObject({ expiresAt: now + 3, roles: ['user', 'admin'] });
    expect(repo.presenceMap.get('alice')!.connections).toEqual([{ connectionId: 'c-short', expiresAt: now + 3 }]);
    // A long token is still capped by API Gateway's 2 h.
    const long = await connect(ctx, principalFromClaims({ sub: 'alice', exp: now + 86_400 }), 'c-long', 7200);
    expect(long.expiresAt).toBe(now + 7200);
  });

  it('refuses frames after exp with unauthorized; expiring posts the answer, then closes and forgets the connection', async () => {
    const m = memoryContext({ start: new Date() });
    const alice = principalFromClaims({ sub: 'alice', exp: seconds(m.ctx.now()) + 3, roles: ['admin'] });
    await connect(m.ctx, alice, 'c1', 7200);
    // Before exp: the caller is the token's user with the token's roles.
    expect(await frameCaller(m.ctx, 'c1')).toMatchObject({ userId: 'alice', roles: ['user', 'admin'] });
    m.advance(3_000);
    const refused = await frameCaller(m.ctx, 'c1').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConnectionExpiredError);
    expect(refused).toMatchObject({ status: 401, code: 'unauthorized', connectionId: 'c1' });
    await expireConnection(m.ctx, 'c1', '{"type":"error","code":"unauthorized"}');
    expect(m.notifier.farewells).toEqual(['{"type":"error","code":"unauthorized"}']);
    expect(m.notifier.closed).toEqual(['c1']);
    expect(m.repo.connectionMap.has('c1')).toBe(false);
    expect(m.repo.presenceMap.get('alice')!.connections).toEqual([]);
    // A frame from a connection whose record is gone is refused too (after a strongly consistent second look).
    await expect(frameCaller(m.ctx, 'c2')).rejects.toBeInstanceOf(ConnectionExpiredError);
  });

  it('delivers nothing to an expired connection, closes it, and still serves the others', async () => {
    const m = memoryContext();
    const alice = await user(m.repo, 'alice');
    await user(m.repo, 'bob');
    const { chat } = await createChat(m.ctx, alice, { type: 'direct', participantIds: ['bob'] });
    const nowSeconds = seconds(new Date());
    const realNow = { ...m.ctx, now: () => new Date() };
    await connect(realNow, principalFromClaims({ sub: 'bob', exp: nowSeconds - 1 }), 'bob-expired', 7200);
    await connect(realNow, principalFromClaims({ sub: 'bob', exp: nowSeconds + 600 }), 'bob-fresh', 7200);
    const posted: string[] = [];
    const deleted: string[] = [];
    const notifier = createNotifier({
      repo: m.repo,
      endpoint: 'http://unused',
      offline: m.offline,
      inlineMax: 100,
      context: () => ({ ...realNow, notifier }),
      postToConnection: async (connectionId) => void posted.push(connectionId),
      deleteConnection: async (connectionId) => void deleted.push(connectionId),
    });
    await notifier.toChat({ id: chat.id, participantCount: 2 }, { type: 'typing', chatId: chat.id, userId: 'alice', isTyping: true });
    expect(posted).toEqual(['bob-fresh']);
    expect(deleted).toEqual(['bob-expired']);
    expect(m.repo.connectionMap.has('bob-expired')).toBe(false);
    expect(m.repo.presenceMap.get('bob')!.connections.map((c) => c.connectionId)).toEqual(['bob-fresh']);
  });

  it('a close that finds the connection gone (410) is fine', async () => {
    const m = memoryContext();
    const gone = Object.assign(new Error('gone'), { name: 'GoneException' });
    const notifier = createNotifier({
      repo: m.repo,
      endpoint: 'http://unused',
      offline: m.offline,
      inlineMax: 100,
      context: () => m.ctx,
      deleteConnection: async () => {
        throw gone;
      },
    });
    await expect(notifier.close('nope')).resolves.toBeUndefined();
  });
});
