/**
 * The Powertools logger shared by every function: structured JSON with the
 * Lambda context and the API Gateway request id as correlation id. Never log
 * tokens or message content.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { MiddlewareObj } from '@middy/core';

export const logger = new Logger({ serviceName: 'chat' });

/**
 * Middy middleware for every handler: Lambda context on each log line, and
 * `correlation_id` = `requestContext.requestId` (HTTP and WebSocket events both carry it).
 */
export function withLogging(): MiddlewareObj<{ requestContext?: { requestId?: string } }> {
  const inject = injectLambdaContext(logger, { resetKeys: true });
  return {
    before: async (request) => {
      await inject.before?.(request as never);
      const requestId = request.event?.requestContext?.requestId;
      if (requestId) logger.setCorrelationId(requestId);
    },
    after: inject.after as never,
    onError: inject.onError as never,
  };
}
