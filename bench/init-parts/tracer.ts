/** Init part: the Powertools tracer and the X-Ray SDK, created as `functions/lib/tracer.ts` does when tracing is on. */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';

const tracer = new Tracer({ serviceName: 'chat' });

export const handler = () => captureLambdaHandler(tracer);
