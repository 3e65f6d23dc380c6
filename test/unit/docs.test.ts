/**
 * The project's own docs stand alone (issue 16): a cloned repository has no
 * `../shared`, so the README and `docs/` link nothing outside the repository
 * and every relative link resolves; the API rules in `docs/API.md` name every
 * route, WebSocket action and server event of the route table, so a new route
 * cannot ship undocumented.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { httpRoutes, wsRoutes } from '../../functions/routes';
import { ServerEvents } from '../../functions/schemas';

const root = resolve(__dirname, '../..');
const DOCS = ['README.md', 'docs/API.md', 'sdk/README.md', 'sdk/CHANGELOG.md'];

/** Markdown link targets `[text](target)`, without anchors; external URLs left out. */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.split('#')[0]!);
}

describe('project docs', () => {
  it.each(DOCS)('%s links only files inside the repository, and they exist', (file) => {
    const markdown = readFileSync(resolve(root, file), 'utf8');
    expect(markdown).not.toMatch(/\.\.\/shared\b/);
    for (const target of relativeLinks(markdown)) {
      const path = resolve(root, dirname(file), target);
      expect(relative(root, path).startsWith('..'), `${file} links ${target}, outside the repository`).toBe(false);
      expect(existsSync(path), `${file} links ${target}, which does not exist`).toBe(true);
    }
  });

  it('README says the Node version package.json requires, and links the API rules', () => {
    const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
    const engines = (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe('>=20.19');
    expect(readme).toContain('Node 20.19+');
    expect(readme).not.toMatch(/Node 20\+/);
    expect(readme).toContain('(docs/API.md)');
  });

  it('docs/API.md names every route, WebSocket action and server event', () => {
    const api = readFileSync(resolve(root, 'docs/API.md'), 'utf8');
    for (const route of httpRoutes) expect(api, route.name).toContain(`\`${route.method} ${route.path}\``);
    for (const route of wsRoutes.filter((r) => !r.routeKey.startsWith('$'))) expect(api, route.routeKey).toContain(`\`${route.routeKey}\``);
    for (const type of Object.keys(ServerEvents).filter((t) => !['ack', 'error', 'pong'].includes(t))) expect(api, type).toContain(`\`${type}\``);
  });
});
