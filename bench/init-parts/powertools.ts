/** Init part: the Powertools logger and metrics with their middy middlewares, created as `functions/lib/{logger,metrics}.ts` do. */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';

const logger = new Logger({ serviceName: 'chat' });
const metrics = new Metrics({ namespace: 'ServerlessChat', serviceName: 'chat' });

export const handler = () => [injectLambdaContext(logger), logMetrics(metrics)];
