/**
 * What the domain may depend on: its typed errors and events live with it
 * (`functions/domain/errors.ts`, `ServerEvent` from the zod `ServerEvents`),
 * so domain rules run without the Lambda plumbing of `functions/lib`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as z from 'zod';
import { ConflictError, type AppError } from '../../functions/domain/errors';
import type { Notifier, ServerEvent } from '../../functions/domain/ports';
import type { ServerEvents } from '../../functions/schemas';

const domain = resolve(__dirname, '../../functions/domain');

describe('the domain', () => {
  it('imports nothing from functions/lib (the handlers\' plumbing)', async () => {
    for (const file of await readdir(domain)) {
      const source = await readFile(resolve(domain, file), 'utf8');
      const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      expect(imports.filter((specifier) => specifier.includes('/lib/')), file).toEqual([]);
    }
  });

  it('says how long to wait in its own terms; the HTTP layer turns that into Retry-After', () => {
    const busy: AppError = new ConflictError('Being stored; retry.', { retryAfterSeconds: 3 });
    expect(busy).toMatchObject({ status: 409, code: 'conflict', retryAfterSeconds: 3 });
    expect(Object.keys(busy)).not.toContain('headers');
  });

  it('sends only events ServerEvents documents, in their documented shape (no catch-all)', () => {
    expectTypeOf<ServerEvent>().toEqualTypeOf<z.infer<(typeof ServerEvents)[Exclude<keyof typeof ServerEvents, 'ack' | 'error' | 'pong'>]>>();
    expectTypeOf<Extract<ServerEvent, { type: 'typing' }>>().toEqualTypeOf<{ type: 'typing'; chatId: string; userId: string; isTyping: boolean }>();
    const send = (notifier: Notifier) => {
      void notifier.toUsers(['bob'], { type: 'typing', chatId: 'c1', userId: 'alice', isTyping: true });
      // @ts-expect-error: an event type ServerEvents does not have
      void notifier.toUsers(['bob'], { type: 'message.exploded', chatId: 'c1' });
      // @ts-expect-error: a documented type with a field missing
      void notifier.toUsers(['bob'], { type: 'typing', chatId: 'c1' });
      // @ts-expect-error: answers to actions are not events
      void notifier.toUsers(['bob'], { type: 'ack' });
    };
    expect(send).toBeTypeOf('function');
  });
});
