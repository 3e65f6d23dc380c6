/**
 * The Powertools logger shared by every function: structured JSON with the
 * Lambda context and a correlation id. Never log tokens or message content.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'chat' });
