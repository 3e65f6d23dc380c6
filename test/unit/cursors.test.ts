/**
 * Signed list cursors (`functions/domain/cursors.ts`, issue 13 item 11): a
 * cursor opens only with its secret, for its list, caller and filters, and
 * with a payload of the expected shape; everything else is a 400.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createCursorCodec } from '../../functions/domain/cursors';
import { BadRequestError } from '../../functions/domain/errors';
import { listChats } from '../../functions/domain/chats';
import { supportQueue } from '../../functions/domain/support';
import { memoryContext, user } from '../support/memory';

const codec = createCursorCodec('unit-cursor-secret-0123456789abcdef');
const Key = z.object({ PK: z.string(), SK: z.string() });
const scope = { kind: 'support-queue', caller: 'alice', filter: { status: 'open', assigneeId: undefined } };
const key = { PK: 'CHAT#01', SK: 'META' };

describe('signed cursors', () => {
  it('round-trip: the payload comes back for the same scope (undefined filter entries do not matter)', () => {
    const sealed = codec.seal(scope, key);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(codec.open({ kind: 'support-queue', caller: 'alice', filter: { status: 'open' } }, sealed, Key)).toEqual(key);
  });

  it.each([
    ['another caller', { ...scope, caller: 'mallory' }],
    ['another list', { ...scope, kind: 'chats' }],
    ['another filter', { ...scope, filter: { status: 'closed' } }],
    ['no filter', { kind: scope.kind, caller: scope.caller }],
  ])('refuses a cursor opened by %s', (_name, other) => {
    expect(() => codec.open(other, codec.seal(scope, key), Key)).toThrow(BadRequestError);
  });

  it('refuses another secret, an unsigned key, a payload of the wrong shape and junk', () => {
    const foreign = createCursorCodec('another-secret-0123456789abcdef-xyz');
    expect(() => codec.open(scope, foreign.seal(scope, key), Key)).toThrow(BadRequestError);
    expect(() => codec.open(scope, Buffer.from(JSON.stringify(key)).toString('base64url'), Key)).toThrow(BadRequestError);
    expect(() => codec.open(scope, codec.seal(scope, { PK: 1 }), Key)).toThrow(BadRequestError);
    for (const junk of ['', '.', 'a.', '.a', 'a.b.c', 'x'.repeat(5000), '\uD800.x']) expect(() => codec.open(scope, junk, Key)).toThrow(BadRequestError);
  });

  it('a short secret is a configuration error, not a weak key', () => {
    expect(() => createCursorCodec('short')).toThrow(/at least 32/);
  });

  it('property: any edit of a sealed cursor (one character changed) is refused', () => {
    const sealed = codec.seal(scope, key);
    fc.assert(
      fc.property(fc.nat({ max: sealed.length - 1 }), fc.constantFrom(...'ABCxyz019-_.'), (at, ch) => {
        fc.pre(sealed[at] !== ch);
        const edited = sealed.slice(0, at) + ch + sealed.slice(at + 1);
        // base64url has 2 spare bits in the tag's last character: an edit that decodes to the same bytes is the same cursor.
        const same = Buffer.from(edited.split('.')[1] ?? '', 'base64url').equals(Buffer.from(sealed.split('.')[1]!, 'base64url')) && edited.split('.')[0] === sealed.split('.')[0];
        if (same) return;
        expect(() => codec.open(scope, edited, Key)).toThrow(BadRequestError);
      }),
    );
  });
});

describe('the lists that use them', () => {
  it('the support queue: a forged DynamoDB key is a 400 before any read; a real cursor pages for its caller only', async () => {
    const { ctx, repo } = memoryContext();
    const admin = await user(repo, 'admin', ['admin']);
    const forged = Buffer.from(JSON.stringify({ PK: 'CHAT#x', SK: 'META', GSI1PK: 'SUPPORT', GSI1SK: { S: 1 } })).toString('base64url');
    let reads = 0;
    const queuePage = repo.support.queuePage.bind(repo.support);
    repo.support.queuePage = (filter) => {
      reads++;
      return queuePage(filter);
    };
    await expect(supportQueue(ctx, admin, { limit: 1, cursor: forged })).rejects.toBeInstanceOf(BadRequestError);
    expect(reads).toBe(0);
    const other = ctx.cursors.seal({ kind: 'support-queue', caller: 'admin2', filter: {} }, { PK: 'CHAT#x', SK: 'META' });
    await expect(supportQueue(ctx, admin, { limit: 1, cursor: other })).rejects.toBeInstanceOf(BadRequestError);
    const mine = ctx.cursors.seal({ kind: 'support-queue', caller: 'admin', filter: {} }, { PK: 'CHAT#x', SK: 'META' });
    await expect(supportQueue(ctx, admin, { limit: 1, cursor: mine })).resolves.toMatchObject({ chats: expect.any(Array) });
    // The same cursor with another status filter would start in another key range: refused.
    await expect(supportQueue(ctx, admin, { limit: 1, cursor: mine, status: 'open' })).rejects.toBeInstanceOf(BadRequestError);
  });

  it('the chats list: the old unsigned (activity, id) cursor and another user\'s cursor are refused', async () => {
    const { ctx, repo } = memoryContext();
    const alice = await user(repo, 'alice');
    const old = Buffer.from(JSON.stringify({ a: '2026-01-01T00:00:00.000Z', i: 'x' })).toString('base64url');
    await expect(listChats(ctx, alice, { limit: 1, cursor: old })).rejects.toBeInstanceOf(BadRequestError);
    const bobs = ctx.cursors.seal({ kind: 'chats', caller: 'bob', filter: { archived: false } }, { a: '2026', i: 'x' });
    await expect(listChats(ctx, alice, { limit: 1, cursor: bobs })).rejects.toBeInstanceOf(BadRequestError);
    const alices = ctx.cursors.seal({ kind: 'chats', caller: 'alice', filter: { archived: false } }, { a: '2026', i: 'x' });
    await expect(listChats(ctx, alice, { limit: 1, cursor: alices })).resolves.toMatchObject({ chats: [] });
  });
});
