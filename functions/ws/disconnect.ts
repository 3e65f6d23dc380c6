/** `$disconnect`: forgets the connection. Best effort on AWS; the record's TTL covers a missed one. */
import middy from '@middy/core';
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { disconnect } from '../domain/connections';
import { withLogging } from '../lib/logger';
import { domainContext } from '../lib/runtime';
import { withTracing } from '../lib/tracer';

export const handler = middy<APIGatewayProxyWebsocketEventV2>()
  .use(withTracing())
  .use(withLogging())
  .handler(async (event) => {
    await disconnect(domainContext(), event.requestContext.connectionId);
    return { statusCode: 200 };
  });
