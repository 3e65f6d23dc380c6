/**
 * A stand-in for the EventBridge bus the CDK stack creates for offline
 * notifications (SPEC §5), served by the gateway under `/dev/events`.
 *
 * Handlers keep using the real `@aws-sdk/client-eventbridge` client, pointed at
 * `EVENTS_ENDPOINT=http://127.0.0.1:$PORT/dev/events` (the local stack sets
 * it): `PutEvents` (AWS JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`) is
 * accepted and the last {@link KEEP} events are kept. `GET /dev/notifications`
 * lists the parsed `Detail` objects of the offline notifications, oldest
 * first; `DELETE` clears them. `GET /dev/audit` lists the `chat.audit`
 * entries (SPEC §10) the same way; `DELETE /dev/audit` clears those.
 * `GET /dev/events` lists every kept event with its `detailType` (SPEC §9
 * `chat.report.created` included).
 */
import { randomUUID } from 'node:crypto';
import { AUDIT_DETAIL_TYPE } from '../functions/domain/audit';
import type { DevRequest, DevResponse, DevRoute } from './gateway/dev-routes';

const KEEP = 200;

export interface StoredEvent {
  id: string;
  time: string;
  source?: string;
  detailType?: string;
  eventBusName?: string;
  /** `Detail` parsed as JSON (the raw string when it is not JSON). */
  detail: unknown;
}

export interface LocalEventBus {
  events(): StoredEvent[];
  clear(): void;
  /** `POST /dev/events[/]` (PutEvents), `GET|DELETE /dev/notifications`. */
  routes: DevRoute[];
}

/** A rule's target, as an EventBridge rule on the stack's bus invokes a function: asynchronously, one event at a time. */
export interface LocalEventTarget {
  detailType: string;
  /** Receives the event as EventBridge delivers it to Lambda; a failure is logged, never reported to the publisher. */
  invoke(event: { id: string; version: '0'; account: string; time: string; region: string; resources: string[]; source: string; 'detail-type': string; detail: unknown }): Promise<void>;
}

/** Creates an empty in-memory bus; register its `routes` on the gateway. `targets` run for matching events (`Source: "chat"`). */
export function createEventBus(options: { targets?: LocalEventTarget[]; region?: string; log?: (line: string) => void } = {}): LocalEventBus {
  const stored: StoredEvent[] = [];
  const amzJson = (status: number, body: unknown): DevResponse => ({
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify(body),
  });

  function putEvents(req: DevRequest): DevResponse {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target !== 'AWSEvents.PutEvents') {
      return amzJson(400, { __type: 'UnknownOperationException', message: `Only AWSEvents.PutEvents is emulated, got ${target || 'no X-Amz-Target'}` });
    }
    let entries: Record<string, unknown>[];
    try {
      entries = (req.json() as { Entries?: Record<string, unknown>[] }).Entries ?? [];
    } catch {
      return amzJson(400, { __type: 'ValidationException', message: 'Body is not JSON' });
    }
    const results = entries.map((entry) => {
      const id = randomUUID();
      let detail: unknown = entry.Detail;
      try {
        if (typeof detail === 'string') detail = JSON.parse(detail);
      } catch {
        // keep the raw string
      }
      const event = {
        id,
        time: new Date().toISOString(),
        source: entry.Source as string | undefined,
        detailType: entry.DetailType as string | undefined,
        eventBusName: entry.EventBusName as string | undefined,
        detail,
      };
      stored.push(event);
      for (const target of options.targets ?? []) {
        if (event.source !== 'chat' || event.detailType !== target.detailType) continue;
        // Not awaited: PutEvents answers before any rule target runs, as on AWS.
        void target
          .invoke({ id, version: '0', account: '000000000000', time: event.time, region: options.region ?? 'us-east-1', resources: [], source: event.source, 'detail-type': event.detailType, detail })
          .catch((error: Error) => options.log?.(`event target for ${target.detailType} failed: ${error.message}`));
      }
      return { EventId: id };
    });
    if (stored.length > KEEP) stored.splice(0, stored.length - KEEP);
    return amzJson(200, { FailedEntryCount: 0, Entries: results });
  }

  const isAudit = (event: StoredEvent) => event.detailType === AUDIT_DETAIL_TYPE;
  const clearWhere = (drop: (event: StoredEvent) => boolean): DevResponse => {
    const kept = stored.filter((e) => !drop(e));
    stored.splice(0, stored.length, ...kept);
    return { status: 204 };
  };

  return {
    events: () => [...stored],
    clear: () => {
      stored.length = 0;
    },
    routes: [
      // The SDK appends `/` to an endpoint that has a path.
      { method: 'POST', path: '/dev/events', handler: putEvents },
      { method: 'POST', path: '/dev/events/', handler: putEvents },
      { method: 'GET', path: '/dev/notifications', handler: () => ({ body: { notifications: stored.filter((e) => !isAudit(e)).map((event) => event.detail) } }) },
      { method: 'DELETE', path: '/dev/notifications', handler: () => clearWhere((e) => !isAudit(e)) },
      { method: 'GET', path: '/dev/audit', handler: () => ({ body: { entries: stored.filter(isAudit).map((event) => event.detail) } }) },
      { method: 'DELETE', path: '/dev/audit', handler: () => clearWhere(isAudit) },
      // Every kept event with its detailType (SPEC §9 `chat.report.created`, §10 `chat.audit`, offline notifications).
      { method: 'GET', path: '/dev/events', handler: () => ({ body: { events: stored } }) },
    ],
  };
}
