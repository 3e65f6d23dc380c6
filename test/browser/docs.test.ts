/**
 * `GET /docs` offline: the API reference renders from this stack alone. The
 * browser context refuses every request to another origin (as a machine
 * without internet would) and records it; the page's CSP must not be
 * violated either. Both documents render: the HTTP routes from
 * `/openapi.json` and the WebSocket actions and events from `/asyncapi.json`.
 *
 * Screenshots: `test-results/browser/docs-*.png`.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { httpRoutes, wsRoutes } from '../../functions/routes';
import { launchBrowser, SCREENSHOT_DIR } from '../support/browser';

let browser: Browser;
const baseUrl = inject('stack').baseUrl;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

interface Offline {
  context: BrowserContext;
  page: Page;
  /** Requests to any other origin (refused). */
  external: string[];
  /** CSP violations and page errors. */
  problems: string[];
}

async function openOffline(path: string, viewport = { width: 1280, height: 900 }): Promise<Offline> {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(20_000);
  const external: string[] = [];
  const problems: string[] = [];
  const origin = new URL(baseUrl).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin) return route.continue();
    external.push(url);
    return route.abort('internetdisconnected');
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { __csp: string[] }).__csp ??= [];
      (window as unknown as { __csp: string[] }).__csp.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  await page.goto(`${baseUrl}${path}`);
  return { context, page, external, problems };
}

/**
 * Known, harmless CSP refusals in Redoc 3.0.1, which the policy exists to
 * make: its "API docs by" attribution image is hot-linked from Redocly's CDN
 * (refused, so nothing leaves the page), and its search index probes whether
 * `Function()` works to run in a worker (refused, so it indexes on the main
 * thread; search still works). Anything else is a regression.
 */
const EXPECTED_VIOLATIONS = [/^img-src https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini(-full)?\.svg$/, /^script-src eval$/];

async function cspViolations(page: Page): Promise<string[]> {
  const all = await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);
  return all.filter((v) => !EXPECTED_VIOLATIONS.some((re) => re.test(v)));
}

describe('/docs offline', () => {
  it('serves the page with a CSP that allows no third-party origin', async () => {
    const res = await fetch(`${baseUrl}/docs`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    // Only keywords, 'self', data: and blob:; no host anywhere.
    const sources = csp.split(';').flatMap((directive) => directive.trim().split(/\s+/).slice(1));
    expect(sources.filter((s) => !/^('[a-z-]+'|data:|blob:)$/.test(s))).toEqual([]);
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);

    const renderer = await fetch(`${baseUrl}/docs/redoc.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(renderer.status).toBe(200);
    expect(renderer.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(renderer.headers.get('content-encoding')).toBe('gzip');
    expect(renderer.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(await renderer.text()).toContain('Redoc');
  });

  it('renders every HTTP route from /openapi.json with the network blocked', async () => {
    const { context, page, external, problems } = await openOffline('/docs');
    try {
      // Redoc's menu lists every operation by its summary; an operation's section shows its method and path.
      await page.getByText('Serverless chat', { exact: false }).first().waitFor();
      const text = await page.locator('body').innerText();
      for (const route of httpRoutes) expect(text, `${route.method} ${route.path}`).toContain(route.summary);
      await page.getByText(httpRoutes.find((r) => r.name === 'SendMessage')!.summary, { exact: true }).first().click();
      await page.getByText('/v1/chats/{chatId}/messages', { exact: true }).first().waitFor();
      // Search works without eval (its index falls back to the main thread).
      await page.getByText('Search Ctrl+K').first().click();
      await page.keyboard.type('reaction', { delay: 20 });
      // A result names the operation's path, which the menu does not show.
      await expect.poll(async () => (await page.locator('body').innerText()).includes('/messages/{messageId}/reactions/{reaction}'), { timeout: 15_000 }).toBe(true);
      await page.screenshot({ path: `${SCREENSHOT_DIR}/docs-http.png` });
      expect(external).toEqual([]);
      expect(await cspViolations(page)).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('renders the WebSocket actions and events from /asyncapi.json with the network blocked', async () => {
    const { context, page, external, problems } = await openOffline('/docs?api=websocket');
    try {
      await page.getByText('Accepts one of the following messages').waitFor();
      // The channel's messages are one menu: every client action and every server event.
      await page.getByRole('button', { name: 'sendMessage' }).click();
      const items = await page.getByRole('menuitem').allInnerTexts();
      const actions = wsRoutes.map((r) => r.routeKey).filter((key) => !key.startsWith('$'));
      for (const name of [...actions, 'ack', 'error', 'message.new', 'message.edited', 'message.deleted', 'reaction.updated', 'messages.read', 'presence', 'chat.created', 'chat.updated', 'participants.added', 'participant.removed']) {
        expect(items, name).toContain(name);
      }
      await page.screenshot({ path: `${SCREENSHOT_DIR}/docs-websocket.png` });
      expect(external).toEqual([]);
      expect(await cspViolations(page)).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
