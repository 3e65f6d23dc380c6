/** `GET /openapi.json`: the OpenAPI 3.1 document generated from the route table. */
import { APP_VERSION } from '../config';
import { openApiDocument } from '../docs/openapi';
import { httpHandler } from '../lib/http';
import { httpRoute } from '../routes';

let document: ReturnType<typeof openApiDocument> | undefined;

export const handler = httpHandler(httpRoute('OpenApi'), async ({ event }) => {
  // API Gateway answers on https; the local gateway says `http` in the same header.
  const protocol = event.headers?.['x-forwarded-proto'] === 'http' ? 'http' : 'https';
  document ??= openApiDocument({ version: APP_VERSION, serverUrl: `${protocol}://${event.requestContext.domainName}` });
  return document;
});
