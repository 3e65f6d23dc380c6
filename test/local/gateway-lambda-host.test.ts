/**
 * How the local gateway loads handler modules (`local/gateway/lambda-host.ts`):
 * relative to the root, all of them before serving, and a startup that fails
 * with every broken handler named and nothing left listening.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindGateway, startGateway } from '../../local/gateway';
import { freePorts } from '../../local/launcher';
import { connectExpectRefusal } from '../support/ws-client';

describe('handler loading', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gateway-handlers-'));
    await writeFile(join(dir, 'ok.mjs'), 'export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ path: event.rawPath }) });\n');
    await writeFile(join(dir, 'broken.mjs'), 'throw new Error("Invalid configuration: TABLE_NAME missing");\n');
    await writeFile(join(dir, 'nohandler.mjs'), 'export const other = 1;\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('imports handler files relative to root', async () => {
    const gw = await startGateway({ port: 0, root: dir, httpRoutes: [{ name: 'Ok', method: 'GET', path: '/ok', handler: 'ok.mjs' }], wsRoutes: [] });
    try {
      expect(await (await fetch(`${gw.url}/ok`)).json()).toEqual({ path: '/ok' });
    } finally {
      await gw.close();
    }
  });

  it('fails startup listing every handler that cannot be loaded', async () => {
    const error = await startGateway({
      port: 0,
      root: dir,
      httpRoutes: [
        { name: 'Ok', method: 'GET', path: '/ok', handler: 'ok.mjs' },
        { name: 'Broken', method: 'GET', path: '/broken', handler: 'broken.mjs' },
        { name: 'NoHandler', method: 'GET', path: '/nohandler', handler: 'nohandler.mjs' },
        { name: 'Missing', method: 'GET', path: '/missing', handler: 'missing.mjs' },
      ],
      wsRoutes: [],
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/Could not load 3 handler/);
    expect(message).toContain('Broken (broken.mjs): Invalid configuration: TABLE_NAME missing');
    expect(message).toContain('NoHandler (nohandler.mjs)');
    expect(message).toContain('Missing (missing.mjs)');
  });
});

describe('start-up order', () => {
  it('binds both ports before loading any handler, answering 503 until it serves them', async () => {
    const bound = await bindGateway({ port: 0, log: () => undefined });
    try {
      const early = await fetch(`${bound.url}/ok`);
      expect(early.status).toBe(503);
      expect(await early.json()).toEqual({ message: 'Service Unavailable' });
      expect(await connectExpectRefusal(bound.wsUrl, 'any')).toBe(503);
      let loaded = false;
      const gateway = await bound.start({
        httpRoutes: [{ name: 'Ok', method: 'GET', path: '/ok', handler: 'ok' }],
        wsRoutes: [],
        loadHandler: async () => {
          loaded = true;
          return async () => ({ statusCode: 200, body: '{}' });
        },
      });
      expect(loaded).toBe(true);
      expect((await fetch(`${gateway.url}/ok`)).status).toBe(200);
    } finally {
      await bound.close();
    }
  });

  it('fails fast on a taken port, and leaves nothing listening when a handler fails to load', async () => {
    const [port] = await freePorts(1);
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(port, '127.0.0.1', done));
    await expect(bindGateway({ port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await new Promise((done) => blocker.close(done));

    const loader = async () => {
      throw new Error('Invalid configuration');
    };
    await expect(startGateway({ port, httpRoutes: [{ name: 'Broken', method: 'GET', path: '/b', handler: 'b' }], wsRoutes: [], loadHandler: loader })).rejects.toThrow(
      /Broken \(b\): Invalid configuration/,
    );
    // The port is free again.
    const probe = createServer();
    await new Promise<void>((done, fail) => probe.once('error', fail).listen(port, '127.0.0.1', done));
    await new Promise((done) => probe.close(done));
  });
});
