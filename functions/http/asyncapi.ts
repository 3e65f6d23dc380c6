/** `GET /asyncapi.json`: the AsyncAPI 3.0 document of the WebSocket API. */
import { APP_VERSION, WS_URL } from '../config';
import { asyncApiDocument } from '../docs/asyncapi';
import { httpHandler } from '../lib/http';
import { httpRoute } from '../routes';

let document: ReturnType<typeof asyncApiDocument> | undefined;

export const handler = httpHandler(httpRoute('AsyncApi'), async () => {
  document ??= asyncApiDocument({ version: APP_VERSION, url: WS_URL });
  return document;
});
