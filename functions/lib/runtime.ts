/**
 * The production wiring of the domain: one DynamoDB repository, one
 * `@connections` notifier and the configured limits, built once per
 * container on first use.
 */
import { ulid } from 'ulid';
import * as config from '../config';
import { createDb, type Db } from '../data/client';
import { createRepository } from '../data/repository';
import type { DomainContext } from '../domain/context';
import { createNotifier } from './delivery';
import { createOfflinePublisher } from './offline';
import { createStorage } from './storage';

let context: DomainContext | undefined;
let db: Db | undefined;

/** The handlers' DynamoDB access (benchmarks attach request-counting middleware to `client`). */
export function database(): Db {
  db ??= createDb({ table: config.TABLE_NAME, region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT });
  return db;
}

export function domainContext(): DomainContext {
  if (context) return context;
  const repo = createRepository(database());
  const notifier = createNotifier({ repo, endpoint: config.WS_ENDPOINT, region: config.AWS_REGION, context: () => domainContext() });
  const offline = createOfflinePublisher({ eventBusName: config.EVENT_BUS_NAME, endpoint: config.EVENTS_ENDPOINT, region: config.AWS_REGION });
  const storage = createStorage({ bucket: config.BUCKET_NAME, endpoint: config.S3_ENDPOINT, region: config.AWS_REGION });
  context = { repo, notifier, offline, storage, limits: config.LIMITS, now: () => new Date(), newId: ulid };
  return context;
}
