/**
 * Security headers of every HTTP API answer (issue 13 item 18), set in one
 * place: the shared middy stack (`httpHandler`), so they are the same on AWS
 * and behind the local gateway, on successes and on problem answers alike.
 * A route's own value wins (the `/docs` page sends its own
 * Content-Security-Policy and caching).
 *
 * | Header | Value | Why |
 * |---|---|---|
 * | `Strict-Transport-Security` | `max-age=63072000; includeSubDomains` | browsers only ever use https for the API's host (2 years, RFC 6797); API Gateway serves https only |
 * | `X-Content-Type-Options` | `nosniff` | a JSON answer is never sniffed into HTML or script |
 * | `Content-Security-Policy` | `default-src 'none'; frame-ancestors 'none'; base-uri 'none'` | a JSON answer opened as a page runs nothing and cannot be framed |
 * | `X-Frame-Options` | `DENY` | the same for browsers without CSP level 2 |
 * | `Referrer-Policy` | `no-referrer` | URLs (chat ids, queries) do not leak to other sites |
 * | `Cache-Control` | `no-store` (authenticated routes) | personal data is not kept by browsers or proxies |
 *
 * Answers API Gateway makes itself (its own 404 for an unknown route, 429
 * throttling, 413) carry none of these: HTTP APIs cannot add headers to
 * them; neither do the WebSocket API's upgrade answers.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** The headers every answer carries (lower-case names, as the stacks write them). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** Added to answers of routes that need a token: what they hold is personal. */
export const PRIVATE_HEADERS: Readonly<Record<string, string>> = { 'cache-control': 'no-store' };

/** `headers` with the security headers added where the route did not set its own. */
export function withSecurityHeaderValues(headers: Record<string, string | number | boolean> | undefined, authenticated: boolean): Record<string, string | number | boolean> {
  const own = new Set(Object.keys(headers ?? {}).map((k) => k.toLowerCase()));
  const out: Record<string, string | number | boolean> = { ...headers };
  for (const [name, value] of Object.entries({ ...SECURITY_HEADERS, ...(authenticated ? PRIVATE_HEADERS : {}) })) if (!own.has(name)) out[name] = value;
  return out;
}

/** Middy middleware: security headers on the answer, after the handler and after an error was answered. */
export function withSecurityHeaders(authenticated: boolean): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  const add = (request: { response?: APIGatewayProxyStructuredResultV2 | null }) => {
    if (request.response && typeof request.response === 'object') request.response.headers = withSecurityHeaderValues(request.response.headers, authenticated);
  };
  return { after: add, onError: add };
}
