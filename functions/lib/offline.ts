/**
 * Offline notifications on EventBridge (SPEC §5): one event per recipient
 * without an open connection, `Source: "chat"`, `DetailType:
 * "chat.message.offline"`, `Detail: {recipientId, chatId, messageId,
 * senderId, preview}`, on the bus the stack creates. Operators add rules on
 * that bus to send push notifications, e-mails, etc.
 *
 * PutEvents takes at most 10 entries per call; calls run in parallel.
 * Failures (whole calls or single entries) are logged, never thrown: the
 * message is already stored and delivered to everyone online.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { OfflineNotification, OfflinePublisher } from '../domain/ports';
import { logger } from './logger';
import { traced } from './tracer';

export const OFFLINE_SOURCE = 'chat';
export const OFFLINE_DETAIL_TYPE = 'chat.message.offline';
const ENTRIES_PER_CALL = 10;

export function createOfflinePublisher(options: { eventBusName?: string; endpoint?: string; region?: string }): OfflinePublisher {
  if (!options.eventBusName) return { publish: async () => undefined };
  // Loaded on first use: most requests have no offline recipient.
  let loaded: Promise<{ client: EventBridgeClient; PutEventsCommand: typeof import('@aws-sdk/client-eventbridge').PutEventsCommand }> | undefined;
  const events = () =>
    (loaded ??= import('@aws-sdk/client-eventbridge').then((sdk) => ({
      client: traced(new sdk.EventBridgeClient({ region: options.region, endpoint: options.endpoint })),
      PutEventsCommand: sdk.PutEventsCommand,
    })));
  return {
    async publish(notifications) {
      const calls: Promise<void>[] = [];
      for (let i = 0; i < notifications.length; i += ENTRIES_PER_CALL) {
        const entries = notifications.slice(i, i + ENTRIES_PER_CALL).map((n) => ({
          EventBusName: options.eventBusName,
          Source: OFFLINE_SOURCE,
          DetailType: OFFLINE_DETAIL_TYPE,
          Detail: JSON.stringify(n),
        }));
        calls.push(
          events()
            .then(({ client, PutEventsCommand }) => client.send(new PutEventsCommand({ Entries: entries })))
            .then((out) => {
              if (out.FailedEntryCount) logger.warn('offline notifications partly failed', { failed: out.FailedEntryCount });
            })
            .catch((error: Error) => logger.error('offline notifications failed', { error })),
        );
      }
      await Promise.all(calls);
    },
  };
}
