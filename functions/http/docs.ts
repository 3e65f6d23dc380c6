/**
 * `GET /docs` (`?api=websocket`): the API reference. The browser renders
 * this stack's `/openapi.json` (HTTP API, the default) or `/asyncapi.json`
 * (WebSocket actions and events) with Redoc, which handles both formats,
 * loaded from this stack too (`GET /docs/redoc.js`, `docs-renderer.ts`): the
 * page works offline and talks to no other origin. Its Content-Security-Policy
 * says so: scripts, data and images from this origin only (Redoc injects its
 * styles, hence `style-src 'unsafe-inline'`), no frames, forms or base URL.
 *
 * All links are relative, so the page works under a stage path prefix too.
 */
import { httpHandler, respond } from '../lib/http';
import { httpRoute } from '../routes';

/** No third-party origin anywhere: the renderer, the documents and fonts come from this stack or the page itself. */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const APIS = {
  http: { title: 'HTTP API', document: 'openapi.json', href: 'docs' },
  websocket: { title: 'WebSocket API', document: 'asyncapi.json', href: 'docs?api=websocket' },
} as const;

type Api = keyof typeof APIS;

function page(api: Api): string {
  const nav = (Object.keys(APIS) as Api[])
    .map((key) => `<a href="${APIS[key].href}"${key === api ? ' aria-current="page"' : ''}>${APIS[key].title}</a>`)
    .join('\n    ');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Serverless chat: ${APIS[api].title} reference</title>
  <link rel="icon" href="data:,">
  <style>
    body { margin: 0; }
    nav { display: flex; gap: 16px; align-items: center; padding: 8px 16px; border-bottom: 1px solid #e5e7eb; font: 14px system-ui, sans-serif; }
    nav a { color: #1d4ed8; text-decoration: none; }
    nav a[aria-current="page"] { font-weight: 600; color: #111827; }
    nav .doc { margin-left: auto; color: #6b7280; }
  </style>
</head>
<body>
  <nav data-testid="docs-nav">
    ${nav}
    <a class="doc" href="${APIS[api].document}">${APIS[api].document}</a>
  </nav>
  <redoc spec-url="${APIS[api].document}" disable-telemetry="true"></redoc>
  <script type="module" src="docs/redoc.js"></script>
</body>
</html>`;
}

const PAGES: Record<Api, string> = { http: page('http'), websocket: page('websocket') };

export const handler = httpHandler(httpRoute('Docs'), async ({ query }) =>
  respond(200, PAGES[query.api ?? 'http'], {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'public, max-age=300',
    'content-security-policy': DOCS_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  }),
);
