/**
 * PutEvents onto the stack's EventBridge bus, for publishers that must never
 * fail the action that produced the event (audit records, and any other
 * `chat.*` event). The SDK loads on first use; entries go out 10 per call
 * (PutEvents' limit), calls in parallel. Without a bus name nothing is sent.
 * Failures (whole calls or single entries) are logged, never thrown.
 */
import type { EventBridgeClient, PutEventsCommand as PutEventsCommandType } from '@aws-sdk/client-eventbridge';
import { logger } from './logger';
import { traced } from './tracer';

const ENTRIES_PER_CALL = 10;

export interface BusEntry {
  source: string;
  detailType: string;
  /** Serialized as JSON. */
  detail: unknown;
}

export interface BusPublisher {
  put(entries: readonly BusEntry[]): Promise<void>;
}

export function createBusPublisher(options: { eventBusName?: string; endpoint?: string; region?: string }): BusPublisher {
  if (!options.eventBusName) return { put: async () => undefined };
  let loaded: Promise<{ client: EventBridgeClient; PutEventsCommand: typeof PutEventsCommandType }> | undefined;
  const sdk = () =>
    (loaded ??= import('@aws-sdk/client-eventbridge').then((m) => ({
      client: traced(new m.EventBridgeClient({ region: options.region, endpoint: options.endpoint })),
      PutEventsCommand: m.PutEventsCommand,
    })));
  return {
    async put(entries) {
      const calls: Promise<void>[] = [];
      for (let i = 0; i < entries.length; i += ENTRIES_PER_CALL) {
        const batch = entries.slice(i, i + ENTRIES_PER_CALL).map((e) => ({
          EventBusName: options.eventBusName,
          Source: e.source,
          DetailType: e.detailType,
          Detail: JSON.stringify(e.detail),
        }));
        calls.push(
          sdk()
            .then(({ client, PutEventsCommand }) => client.send(new PutEventsCommand({ Entries: batch })))
            .then((out) => {
              if (out.FailedEntryCount) logger.error('events partly failed', { failed: out.FailedEntryCount, detailTypes: [...new Set(batch.map((b) => b.DetailType))] });
            })
            .catch((error: Error) => logger.error('events failed', { error, detailTypes: [...new Set(batch.map((b) => b.DetailType))] })),
        );
      }
      await Promise.all(calls);
    },
  };
}
