/**
 * The web client's serving (`local/web.ts` + the gateway's `assets`): the
 * real `web/` bundle on an in-process gateway with a fake route table.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway, type LambdaHandler } from '../../local/gateway';
import { buildWebClient, type WebClient } from '../../local/web';

let gateway: Gateway;
let web: WebClient;

beforeAll(async () => {
  web = await buildWebClient({ root: process.cwd() });
  const handler: LambdaHandler = async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"from":"route"}' });
  gateway = await startGateway({
    port: 0,
    // A route-table route on an asset path: the route must win.
    httpRoutes: [{ name: 'Shadow', method: 'GET', path: '/style.css', handler: 'shadow' }],
    wsRoutes: [],
    loadHandler: async () => handler,
    assets: web.assets,
    log: () => undefined,
  });
});

afterAll(async () => {
  await gateway?.close();
});

describe('web client assets', () => {
  it('builds web/app.ts without errors into one ESM bundle with an inline source map', () => {
    expect(web.buildError).toBeUndefined();
    const script = web.assets.find((a) => a.path === '/app.js')!.body.toString();
    // Booleans, not the 280 KB script, in a failure message.
    const map = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(script);
    expect(map !== null).toBe(true);
    const sources = (JSON.parse(Buffer.from(map![1], 'base64').toString('utf8')) as { sources: string[] }).sources;
    // Bundled: the page's modules and the SDK are inside, nothing is left to import at runtime.
    expect(sources).toEqual(expect.arrayContaining(['web/app.ts', 'web/conversation.ts', 'sdk/src/socket.ts', 'sdk/src/http.ts']));
    expect(/^import\s/m.test(script)).toBe(false);
  });

  it('serves the page, the script and the stylesheet with their types', async () => {
    const page = await fetch(`${gateway.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/app.js"></script>');
    expect(html).toContain('data-testid="signin-form"');

    const script = await fetch(`${gateway.url}/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(Number(script.headers.get('content-length'))).toBe(web.bundleBytes);
    await script.body?.cancel();

    const head = await fetch(`${gateway.url}/app.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(web.bundleBytes));
  });

  it('lets route-table routes win, and answers other methods and paths like API Gateway', async () => {
    const shadowed = await fetch(`${gateway.url}/style.css`);
    expect(await shadowed.json()).toEqual({ from: 'route' });

    const post = await fetch(`${gateway.url}/`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(404);
    expect(await post.json()).toEqual({ message: 'Not Found' });

    const nested = await fetch(`${gateway.url}/web/app.ts`);
    expect(nested.status).toBe(404);
    await nested.body?.cancel();
  });

  it('keeps the stack up on a build error and shows the error on the page instead', async () => {
    const root = await mkdtemp(join(tmpdir(), 'web-build-'));
    try {
      await mkdir(join(root, 'web'));
      await writeFile(join(root, 'web', 'index.html'), '<!doctype html><title>t</title>');
      await writeFile(join(root, 'web', 'style.css'), 'body{}');
      await writeFile(join(root, 'web', 'app.ts'), "import { missing } from './nowhere';\nconsole.log(missing);\n");
      const logged: string[] = [];
      const broken = await buildWebClient({ root, log: (line) => logged.push(line) });
      expect(broken.buildError).toMatch(/nowhere/);
      expect(broken.bundleBytes).toBe(0);
      expect(logged.join('\n')).toMatch(/failed to build/);
      const script = broken.assets.find((a) => a.path === '/app.js')!.body.toString();
      expect(script).toContain('data-testid');
      expect(script).toContain('textContent = message');
      expect(script).toContain(JSON.stringify(`The web client failed to build:\n${broken.buildError}`));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
