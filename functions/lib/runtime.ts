/**
 * The production wiring of the domain: one DynamoDB repository, the
 * `@connections` notifier (with the fan-out queue for large chats), offline
 * notifications, attachment storage and the configured limits, built once
 * per container on first use. SDK clients other than DynamoDB load lazily.
 */
import { ulid } from 'ulid';
import * as config from '../config';
import { createDb, type Db } from '../data/client';
import { createRepository } from '../data/repository';
import { withChangeLog } from '../domain/change-log';
import type { DomainContext } from '../domain/context';
import { createCursorCodec } from '../domain/cursors';
import type { ChatDelivery, EventPublisher, PushService } from '../domain/ports';
import { createAuditLog } from './audit';
import { createBusPublisher } from './bus';
import { createNotifier } from './delivery';
import { createFanOutQueue } from './fanout-queue';
import { createJobQueue } from './jobs-queue';
import { logger } from './logger';
import { count } from './metrics';
import { createOfflinePublisher } from './offline';
import { createSnsPush } from './sns-push';
import { createStorage } from './storage';

let context: DomainContext | undefined;
let db: Db | undefined;

/** The handlers' DynamoDB access (benchmarks attach request-counting middleware to `client`). */
export function database(): Db {
  db ??= createDb({ table: config.TABLE_NAME, region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT });
  return db;
}

let notifier: ReturnType<typeof createNotifier> | undefined;

export function domainContext(): DomainContext {
  if (context) return context;
  const repo = createRepository(database());
  const offline = createOfflinePublisher({ eventBusName: config.EVENT_BUS_NAME, endpoint: config.EVENTS_ENDPOINT, region: config.AWS_REGION });
  notifier = createNotifier({
    repo,
    endpoint: config.WS_ENDPOINT,
    region: config.AWS_REGION,
    offline,
    queue: config.FANOUT_QUEUE_URL ? createFanOutQueue({ queueUrl: config.FANOUT_QUEUE_URL, endpoint: config.SQS_ENDPOINT, region: config.AWS_REGION }) : undefined,
    inlineMax: config.FANOUT_INLINE_MAX,
    context: () => domainContext(),
  });
  const storage = createStorage({ bucket: config.BUCKET_NAME, endpoint: config.S3_ENDPOINT, region: config.AWS_REGION });
  const now = () => new Date();
  // Every event is recorded for `GET /v1/sync` where it is published (SPEC §7, domain/change-log.ts).
  const publisher = withChangeLog(notifier, {
    changes: repo.changes,
    now,
    windowSeconds: config.LIMITS.syncWindowSeconds,
    onError: (error, event) => {
      // The change is stored and live clients got it; a client that was offline misses it until it reloads.
      logger.error('recording a change for sync failed', { eventType: event.type, error: error as Error });
      count('ChangeLogFailures', 1);
    },
  });
  const audit = createAuditLog({ eventBusName: config.EVENT_BUS_NAME, endpoint: config.EVENTS_ENDPOINT, region: config.AWS_REGION });
  const jobs = createJobQueue({ queueUrl: config.GOVERNANCE_QUEUE_URL, endpoint: config.SQS_ENDPOINT, region: config.AWS_REGION });
  const events = createBusPublisher({ eventBusName: config.EVENT_BUS_NAME, endpoint: config.EVENTS_ENDPOINT, region: config.AWS_REGION });
  // SPEC §9 events other than audit (`chat.report.created`), on the same bus.
  const bus: EventPublisher = { publish: (entries) => events.put(entries.map((e) => ({ source: 'chat', detailType: e.detailType, detail: e.detail }))) };
  // SPEC §9 blockers of a sender are never notified: the send or edit passes them as `hide.sender` (from the
  // sender's own moderation item it read anyway) and the delivery hands them to `notifyOffline`; no other read.
  context = { repo, notifier: publisher, offline, audit, bus, jobs, storage, limits: config.LIMITS, cursors: createCursorCodec(config.CURSOR_SECRET), now, newId: ulid, pushPreview: config.PUSH_PREVIEW, pushEndpoints: pushService() };
  return context;
}

let push: PushService | undefined;

/** SNS mobile push with the configured platform applications (none: push is off). */
export function pushService(): PushService {
  push ??= createSnsPush({ applications: config.PUSH_PLATFORM_APPLICATIONS, endpoint: config.SNS_ENDPOINT, region: config.AWS_REGION });
  return push;
}

/** Inline delivery of one chat event (the fan-out worker's job). */
export function deliverChatEvent(job: ChatDelivery): Promise<void> {
  domainContext();
  return notifier!.deliver(job);
}
