/**
 * The `Notifier` on API Gateway's `@connections` management API.
 *
 * Fan-out for a chat: participants from GSI1 (one Query), their presence
 * items with BatchGetItem (⌈N/100⌉ requests), then one PostToConnection per
 * live connection with bounded concurrency. A connection that answers 410
 * Gone is deleted (and awaited, so a Lambda freeze cannot drop the cleanup),
 * unless it may still be in its `$connect` (`forgetGoneConnection`).
 * Other delivery failures are logged and skipped: the change is already
 * stored and clients catch up with `after=<seq>` (SPEC §6).
 */
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { DomainContext } from '../domain/context';
import { forgetGoneConnection } from '../domain/connections';
import type { Notifier, Repository, ServerEvent } from '../domain/ports';
import { logger } from './logger';

/** Parallel PostToConnection calls per fan-out: enough to hide latency, few enough to stay under the API's rate limits. */
const CONCURRENCY = 32;

export function createNotifier(options: {
  repo: Repository;
  endpoint: string;
  region?: string;
  /** Used to forget gone connections through the domain rule. */
  context: () => DomainContext;
}): Notifier {
  // Loaded on first delivery: requests whose audience is offline never load it.
  let loaded:
    | Promise<{ client: ApiGatewayManagementApiClient; PostToConnectionCommand: typeof import('@aws-sdk/client-apigatewaymanagementapi').PostToConnectionCommand }>
    | undefined;
  const api = () =>
    (loaded ??= import('@aws-sdk/client-apigatewaymanagementapi').then((sdk) => ({
      client: new sdk.ApiGatewayManagementApiClient({ endpoint: options.endpoint, region: options.region }),
      PostToConnectionCommand: sdk.PostToConnectionCommand,
    })));

  /** Posts `event` to every live connection of `userIds`; answers the users who had none. */
  async function deliver(userIds: readonly string[], event: ServerEvent): Promise<string[]> {
    if (userIds.length === 0) return [];
    const presence = await options.repo.connections.getPresence(userIds);
    const now = Math.floor(Date.now() / 1000);
    const offline: string[] = [];
    const targets: string[] = [];
    for (const p of presence.values()) {
      const live = p.connections.filter((c) => c.expiresAt > now);
      if (live.length === 0) offline.push(p.userId);
      for (const c of live) targets.push(c.connectionId);
    }
    if (targets.length === 0) return offline;
    const data = new TextEncoder().encode(JSON.stringify(event));
    await forEachLimited(targets, CONCURRENCY, async (connectionId) => {
      try {
        const { client, PostToConnectionCommand } = await api();
        await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
      } catch (error) {
        if ((error as Error).name === 'GoneException') {
          if (await forgetGoneConnection(options.context(), connectionId)) logger.info('removed stale connection', { connectionId });
        } else {
          logger.warn('delivery failed', { connectionId, eventType: event.type, error: (error as Error).name });
        }
      }
    });
    return offline;
  }

  // The change is stored before any event is sent, so a failing lookup must not fail the request.
  const guarded = async (eventType: string, work: () => Promise<string[]>): Promise<string[]> => {
    try {
      return await work();
    } catch (error) {
      logger.error('fan-out failed', { eventType, error: error as Error });
      return [];
    }
  };

  return {
    toChat: async (chatId, event, opts) => ({
      offlineUserIds: await guarded(event.type, async () => {
        const participants = await options.repo.memberships.listParticipants(chatId);
        return deliver(
          participants.map((p) => p.userId).filter((id) => id !== opts?.exceptUserId),
          event,
        );
      }),
    }),
    toUsers: async (userIds, event) => {
      await guarded(event.type, () => deliver(userIds, event));
    },
  };
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
