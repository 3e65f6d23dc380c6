/** `GET /openapi.json`: the OpenAPI 3.1 document generated from the route table. */
import { APP_VERSION } from '../config';
import { openApiDocument } from '../docs/openapi';
import { httpHandler } from '../lib/http';
import { httpRoute } from '../routes';

let document: ReturnType<typeof openApiDocument> | undefined;

export const handler = httpHandler(httpRoute('OpenApi'), async ({ event }) => {
  document ??= openApiDocument({ version: APP_VERSION, serverUrl: `https://${event.requestContext.domainName}` });
  return document;
});
