/**
 * SPEC §5 / issue 13 item 17: at most 10 WebSocket connections per user; an
 * 11th closes the oldest (`@connections` DELETE), and
 * its record and presence entry are gone.
 */
import { describe, expect, it } from 'vitest';
import { connect } from '../../functions/domain/connections';
import { memoryContext, user } from '../support/memory';

describe('connections per user (item 17)', () => {
  it('the 11th connection closes the oldest; 10 stay open', async () => {
    const { ctx, repo, notifier, advance } = memoryContext();
    const alice = await user(repo, 'alice');
    for (let i = 0; i < 10; i++) {
      await connect(ctx, alice, `c${i}`, 7200);
      advance(1000);
    }
    expect(notifier.closed).toEqual([]);
    await connect(ctx, alice, 'c10', 7200);
    expect(notifier.closed).toEqual(['c0']);
    expect(await repo.connections.get('c0')).toBeUndefined();
    const presence = (await repo.connections.getPresence(['alice'])).get('alice')!;
    expect(presence.connections.map((c) => c.connectionId).sort()).toEqual(['c1', 'c10', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9']);
    advance(1000);
    await connect(ctx, alice, 'c11', 7200);
    expect(notifier.closed).toEqual(['c0', 'c1']);
  });

  it('other users\' connections do not count, and the limit is configurable', async () => {
    const { ctx, repo, notifier } = memoryContext({ limits: { maxConnectionsPerUser: 2 } });
    const [alice, bob] = [await user(repo, 'alice'), await user(repo, 'bob')];
    await connect(ctx, alice, 'a1', 7200);
    await connect(ctx, bob, 'b1', 7200);
    await connect(ctx, bob, 'b2', 7200);
    await connect(ctx, alice, 'a2', 7200);
    expect(notifier.closed).toEqual([]);
    await connect(ctx, alice, 'a3', 7200);
    expect(notifier.closed).toEqual(['a1']);
  });
});
