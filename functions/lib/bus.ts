/**
 * The stack's EventBridge bus for domain events other than offline
 * notifications (SPEC §9 `chat.report.created`, SPEC §10 `chat.audit`):
 * `Source: "chat"`, the entry's `DetailType`, `Detail` as JSON. Locally the
 * same client posts to the local bus (`local/event-bus.ts`, `GET /dev/events`).
 *
 * PutEvents takes at most 10 entries per call. Failures are logged, never
 * thrown: the change the event describes is already stored.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EventPublisher } from '../domain/ports';
import { logger } from './logger';
import { traced } from './tracer';

export const EVENT_SOURCE = 'chat';
const ENTRIES_PER_CALL = 10;

export function createEventPublisher(options: { eventBusName?: string; endpoint?: string; region?: string }): EventPublisher {
  if (!options.eventBusName) return { publish: async () => undefined };
  let loaded: Promise<{ client: EventBridgeClient; PutEventsCommand: typeof import('@aws-sdk/client-eventbridge').PutEventsCommand }> | undefined;
  const events = () =>
    (loaded ??= import('@aws-sdk/client-eventbridge').then((sdk) => ({
      client: traced(new sdk.EventBridgeClient({ region: options.region, endpoint: options.endpoint })),
      PutEventsCommand: sdk.PutEventsCommand,
    })));
  return {
    async publish(entries) {
      const calls: Promise<void>[] = [];
      for (let i = 0; i < entries.length; i += ENTRIES_PER_CALL) {
        const part = entries.slice(i, i + ENTRIES_PER_CALL).map((e) => ({
          EventBusName: options.eventBusName,
          Source: EVENT_SOURCE,
          DetailType: e.detailType,
          Detail: JSON.stringify(e.detail),
        }));
        calls.push(
          events()
            .then(({ client, PutEventsCommand }) => client.send(new PutEventsCommand({ Entries: part })))
            .then((out) => {
              if (out.FailedEntryCount) logger.warn('events partly failed', { failed: out.FailedEntryCount });
            })
            .catch((error: Error) => logger.error('publishing events failed', { error })),
        );
      }
      await Promise.all(calls);
    },
  };
}
