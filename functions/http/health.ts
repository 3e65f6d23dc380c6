/** `GET /health` (SPEC §4): liveness; `?deep=1` also reads DynamoDB and answers 503 when it cannot. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';

import { httpHandler, respond } from '../lib/http';
import { logger } from '../lib/logger';
import * as config from '../config';
import { database } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('Health'), async ({ query }) => {
  const body = { status: 'ok' as const, timestamp: new Date().toISOString(), version: config.APP_VERSION };
  if (query.deep !== '1' && query.deep !== 'true') return body;
  try {
    const db = database();
    await db.client.send(new GetCommand({ TableName: db.table, Key: { PK: 'HEALTH', SK: 'HEALTH' } }));
    return { ...body, checks: { dynamodb: 'ok' } };
  } catch (error) {
    logger.error('deep health check failed', { error: error as Error });
    return respond(503, { ...body, status: 'degraded' as const, checks: { dynamodb: 'unreachable' } });
  }
});
