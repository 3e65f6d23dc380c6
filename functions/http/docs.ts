/**
 * `GET /docs`: the API reference, rendered in the browser by Scalar API
 * Reference (a maintained OpenAPI renderer, loaded from jsDelivr at a pinned
 * version) from this stack's `/openapi.json`; the WebSocket API's document
 * is linked. The page holds no data of its own.
 */
import { httpHandler, respond } from '../lib/http';
import { httpRoute } from '../routes';

/** Pinned so a renderer release never changes the page unreviewed. */
const SCALAR = 'https://cdn.jsdelivr.net/npm/@scalar/api-reference@1.72.1';

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Serverless chat API</title>
</head>
<body>
  <p style="font-family:sans-serif;margin:8px 16px">HTTP API below; WebSocket actions and events: <a href="asyncapi.json">asyncapi.json</a> (AsyncAPI 3.0).</p>
  <script id="api-reference" data-url="openapi.json"></script>
  <script src="${SCALAR}"></script>
</body>
</html>`;

export const handler = httpHandler(httpRoute('Docs'), async () =>
  respond(200, PAGE, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'public, max-age=300' }),
);
