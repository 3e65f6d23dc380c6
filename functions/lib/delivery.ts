/**
 * The `Notifier` on API Gateway's `@connections` management API.
 *
 * Fan-out for a chat: participants from GSI1 (one Query), their presence
 * items with BatchGetItem (⌈N/100⌉ requests), then one PostToConnection per
 * live connection with bounded concurrency. A connection that answers 410
 * Gone is deleted (and awaited, so a Lambda freeze cannot drop the cleanup),
 * unless it may still be in its `$connect` (`forgetGoneConnection`). Other
 * delivery failures are logged and skipped: the change is already stored and
 * clients catch up with `after=<seq>` (SPEC §6). Participants with no live
 * connection get an offline notification when the event carries one.
 *
 * Chats with more than `inlineMax` participants are not delivered in the
 * request: the job goes to the fan-out queue (SQS FIFO, one message group
 * per chat, so events of a chat keep their order) and the fan-out worker
 * (`functions/queue/fan-out.ts`) runs the same delivery. The sender waits
 * for one SendMessage instead of hundreds of posts.
 */
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { DomainContext } from '../domain/context';
import { expireConnection, forgetGoneConnection } from '../domain/connections';
import { hidingGroups } from '../domain/hidden';
import { notifyOffline } from '../domain/notifications';
import type { ChatDelivery, EventInput, Notifier, OfflineNotice, OfflinePublisher, Repository } from '../domain/ports';
import { logger } from './logger';
import { count, fanOutDuration } from './metrics';
import { traced } from './tracer';

/** Parallel PostToConnection calls per fan-out: enough to hide latency, few enough to stay under the API's rate limits. */
const CONCURRENCY = 32;

/** Where large chats' deliveries go (SQS FIFO on AWS, a local stand-in in the local stack). */
export interface FanOutQueue {
  send(job: ChatDelivery): Promise<void>;
}

export interface NotifierOptions {
  repo: Repository;
  endpoint: string;
  region?: string;
  offline: OfflinePublisher;
  /** Absent: every chat is delivered inline. */
  queue?: FanOutQueue;
  /** Chats with more participants than this go through `queue`. */
  inlineMax: number;
  /** Used to forget gone connections through the domain rule. */
  context: () => DomainContext;
  /** Replaces the `@connections` call (fault-injection tests). */
  postToConnection?: (connectionId: string, data: Uint8Array) => Promise<void>;
  /** Replaces the `@connections` DELETE (tests). */
  deleteConnection?: (connectionId: string) => Promise<void>;
}

export function createNotifier(options: NotifierOptions): Notifier & { deliver(job: ChatDelivery): Promise<void> } {
  // Loaded on first delivery: requests whose audience is offline never load it.
  type Sdk = typeof import('@aws-sdk/client-apigatewaymanagementapi');
  let loaded:
    | Promise<{ client: ApiGatewayManagementApiClient; PostToConnectionCommand: Sdk['PostToConnectionCommand']; DeleteConnectionCommand: Sdk['DeleteConnectionCommand'] }>
    | undefined;
  const api = () =>
    (loaded ??= import('@aws-sdk/client-apigatewaymanagementapi').then((sdk) => ({
      client: traced(new sdk.ApiGatewayManagementApiClient({ endpoint: options.endpoint, region: options.region })),
      PostToConnectionCommand: sdk.PostToConnectionCommand,
      DeleteConnectionCommand: sdk.DeleteConnectionCommand,
    })));

  const postToConnection =
    options.postToConnection ??
    (async (connectionId: string, data: Uint8Array) => {
      const { client, PostToConnectionCommand } = await api();
      await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
    });

  const deleteConnection =
    options.deleteConnection ??
    (async (connectionId: string) => {
      const { client, DeleteConnectionCommand } = await api();
      await client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    });

  /** `@connections` DELETE, after posting `farewell`; a connection already gone (410) is what we wanted. */
  async function close(connectionId: string, farewell?: string): Promise<void> {
    if (farewell !== undefined) await postToConnection(connectionId, new TextEncoder().encode(farewell)).catch(() => undefined);
    try {
      await deleteConnection(connectionId);
    } catch (error) {
      if ((error as Error).name !== 'GoneException') logger.warn('closing a connection failed', { connectionId, error: (error as Error).name });
    }
  }

  /**
   * Posts each group's events, in order, to every live connection of the
   * group's users, with one presence lookup for all groups together;
   * answers the users who had none, with their presence's `lastSeenAt`. Connections past their expiry (their
   * token's `exp`, SPEC §6, or the 2 h record TTL) get nothing; they are
   * closed and forgotten on the way (`expireConnection`).
   */
  async function post(groups: readonly { userIds: readonly string[]; events: readonly EventInput[] }[]): Promise<{ userId: string; lastSeenAt?: string }[]> {
    const userIds = groups.flatMap((g) => g.userIds);
    if (userIds.length === 0) return [];
    const presence = await options.repo.connections.getPresence(userIds);
    const now = Math.floor(Date.now() / 1000);
    const offline: { userId: string; lastSeenAt?: string }[] = [];
    const liveOf = new Map<string, string[]>();
    const expired: string[] = [];
    for (const p of presence.values()) {
      const live = p.connections.filter((c) => c.expiresAt > now);
      if (live.length === 0) offline.push({ userId: p.userId, lastSeenAt: p.lastSeenAt });
      liveOf.set(p.userId, live.map((c) => c.connectionId));
      for (const c of p.connections) if (c.expiresAt <= now) expired.push(c.connectionId);
    }
    if (expired.length > 0) {
      await forEachLimited(expired, CONCURRENCY, (connectionId) =>
        expireConnection(options.context(), connectionId).catch((error: Error) => logger.warn('expiring a connection failed', { connectionId, error: error.name })),
      );
    }
    const targets: { connectionId: string; frames: Uint8Array[]; type: string }[] = [];
    for (const group of groups) {
      if (group.events.length === 0) continue;
      const frames = group.events.map((e) => new TextEncoder().encode(JSON.stringify(e)));
      for (const userId of group.userIds) for (const connectionId of liveOf.get(userId) ?? []) targets.push({ connectionId, frames, type: group.events[0].type });
    }
    if (targets.length === 0) return offline;
    let delivered = 0;
    let removed = 0;
    await forEachLimited(targets, CONCURRENCY, async ({ connectionId, frames, type }) => {
      try {
        for (const data of frames) {
          await postToConnection(connectionId, data);
          delivered++;
        }
      } catch (error) {
        if ((error as Error).name === 'GoneException') {
          if (await forgetGoneConnection(options.context(), connectionId)) {
            removed++;
            logger.info('removed stale connection', { connectionId });
          }
        } else {
          // Throttled (429), timed out or failed otherwise: the event is lost for this connection only;
          // the message is stored and the client catches up with `after=<seq>`.
          logger.warn('delivery failed', { connectionId, eventType: type, error: (error as Error).name });
        }
      }
    });
    count('Deliveries', delivered);
    count('StaleConnectionsRemoved', removed);
    return offline;
  }

  /** SPEC §8, coalesced (`domain/notifications.ts`); a failure is logged, never thrown. */
  async function publishOffline(chatId: string, offline: { userId: string; lastSeenAt?: string }[], notice: OfflineNotice | undefined, blockers: ReadonlySet<string>): Promise<void> {
    if (!notice) return;
    const ctx = options.context();
    await notifyOffline({ repo: options.repo, offline: options.offline, now: ctx.now }, chatId, offline, notice, blockers)
      .then((published) => count('OfflineNotifications', published.length))
      .catch((error: Error) => logger.error('offline notifications failed', { error }));
  }

  /**
   * One chat event to its participants, inline. Used by requests for small
   * chats and by the fan-out worker. Recipients in `job.hide` get their own
   * version of the events (SPEC §9, `hideEvents`); those who block the
   * sender are never notified offline.
   */
  async function deliver(job: ChatDelivery): Promise<void> {
    const started = Date.now();
    const audience = (await options.repo.memberships.listParticipants(job.chatId)).map((p) => p.userId).filter((id) => id !== job.exceptUserId);
    const groups = hidingGroups(audience, job);
    // SPEC §9: those who block the sender are never notified of their messages (`notifyOffline` decides).
    const blockers = new Set(groups.filter((g) => !g.notify).flatMap((g) => g.userIds));
    await publishOffline(job.chatId, await post(groups), job.offline, blockers);
    fanOutDuration(Date.now() - started);
  }

  // The change is stored before any event is sent, so a failing delivery must not fail the request.
  const guarded = async (eventType: string, work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      logger.error('fan-out failed', { eventType, error: error as Error });
    }
  };

  return {
    deliver,
    toChat: (chat, event, opts) =>
      guarded((Array.isArray(event) ? event[0] : event).type, async () => {
        const job: ChatDelivery = { chatId: chat.id, event, exceptUserId: opts?.exceptUserId, offline: opts?.offline, hide: opts?.hide };
        // The chat item's count decides, so the participants are queried once: here, or by the worker.
        if (options.queue && chat.participantCount > options.inlineMax) {
          try {
            await options.queue.send(job);
            return;
          } catch (error) {
            // Better late and slow than never: deliver inline when the queue is unavailable.
            logger.error('fan-out queue unavailable, delivering inline', { error: error as Error });
          }
        }
        await deliver(job);
      }),
    toUsers: (userIds, event) =>
      guarded(event.type, async () => {
        await post([{ userIds, events: [event] }]);
      }),
    close,
  };
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
