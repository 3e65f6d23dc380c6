/**
 * `$default`: frames that are not JSON or name no known action get an
 * `error` frame; the connection stays open. Unless its token has expired:
 * then, as for every frame, `error` `unauthorized` and the connection is
 * closed (SPEC §6).
 */
import middy from '@middy/core';
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { BadRequestError } from '../lib/errors';
import { withTracing } from '../lib/tracer';
import { answerError, callerOf, errorFrame, parseFrame } from '../lib/ws';

export const handler = middy<APIGatewayProxyWebsocketEventV2>()
  .use(withTracing())
  .handler(async (event) => {
    const frame = parseFrame(event.body);
    const requestId = typeof frame?.requestId === 'string' || typeof frame?.requestId === 'number' ? frame.requestId : undefined;
    try {
      await callerOf(event.requestContext.connectionId);
    } catch (error) {
      return answerError(requestId, event.requestContext.connectionId, error);
    }
    if (!frame) return errorFrame(undefined, new BadRequestError('Frames must be JSON objects with an "action".'));
    const action = typeof frame.action === 'string' ? frame.action : undefined;
    return errorFrame(requestId, new BadRequestError(action ? `Unknown action "${action.slice(0, 64)}".` : 'The frame has no "action".'));
  });
