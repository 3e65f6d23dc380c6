/**
 * Issue 13 items 13 and 14: display text without bidi controls or hidden
 * characters, content that shows nothing refused, lone surrogates refused
 * everywhere (`functions/domain/text.ts`), through the domain rules that use it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createChat } from '../../functions/domain/chats';
import { cleanFilename } from '../../functions/domain/attachments';
import { updateChat } from '../../functions/domain/groups';
import { principalFromClaims } from '../../functions/domain/identity';
import { editMessage, sendMessage } from '../../functions/domain/messages';
import { openSupportChat } from '../../functions/domain/support';
import { displayText, illFormedPath, isBlank, isWellFormed, requireWellFormed, stripDisplayText } from '../../functions/domain/text';
import { putUser } from '../../functions/domain/users';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

describe('display text (item 13)', () => {
  it('strips bidi controls and hidden characters, keeps joiners inside emoji and scripts', () => {
    expect(stripDisplayText('Dr. Smith (Clinic Support)\u200B')).toBe('Dr. Smith (Clinic Support)');
    expect(stripDisplayText('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(stripDisplayText('\u2067שלום\u2069 \u200Fx')).toBe('שלום x');
    expect(stripDisplayText('👨‍👩‍👧')).toBe('👨‍👩‍👧');
    expect(stripDisplayText('\u200Dmi\u200Cxed\u200D')).toBe('mi\u200Cxed');
  });

  it('refuses names and titles with nothing visible', () => {
    for (const blank of ['\u200B', '\u202E\u202C', ' \u2060 ', '\u3164', '\u2800', '\u200D\u200C', '\uFE0F']) expect(() => displayText(blank, 'name')).toThrow(/visible/);
    expect(displayText(' Ada ', 'name')).toBe('Ada');
  });

  it('property: stripped text never contains a bidi control', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
      expect(stripDisplayText(s)).not.toMatch(/[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/);
    }));
  });

  it('blank content: whitespace and invisible characters only', () => {
    expect(isBlank('\u200B\u200B')).toBe(true);
    expect(isBlank('\u00A0\u3000\u180E')).toBe(true);
    expect(isBlank('a\u200B')).toBe(false);
    expect(isBlank('😀')).toBe(false);
  });

  it('through the domain: chats, titles, support subjects, names, filenames, token names, content', async () => {
    const { ctx, repo } = memoryContext();
    const [alice, bob, root] = [await user(repo, 'alice'), await user(repo, 'bob'), await user(repo, 'root', ['admin'])];
    const { chat } = await createChat(ctx, alice, { type: 'group', participantIds: ['bob'], title: 'Clinic\u202E Team\u200B' });
    expect(chat.title).toBe('Clinic Team');
    expect(await codeOf(createChat(ctx, alice, { type: 'group', participantIds: ['bob'], title: '\u200B\u202E' }))).toBe('400 bad_request');
    expect(await codeOf(updateChat(ctx, alice, chat.id, { title: '\u2060' }))).toBe('400 bad_request');
    expect((await updateChat(ctx, alice, chat.id, { title: '\u2066Renamed\u2069' })).title).toBe('Renamed');
    expect((await openSupportChat(ctx, bob, { subject: 'Help\u200F' })).chat.title).toBe('Help');
    expect((await putUser(ctx, 'carol', { name: 'Dr. Smith (Clinic Support)\u200B' }, root)).name).toBe('Dr. Smith (Clinic Support)');
    expect(await codeOf(putUser(ctx, 'dave', { name: '\u200B' }, root))).toBe('400 bad_request');
    expect(cleanFilename('x-ray\u202Egpj.exe')).toBe('x-raygpj.exe');
    expect(cleanFilename('\u200B\u202E')).toBe('file');
    expect(principalFromClaims({ sub: 'eve', name: '\u202EAdmin\u200B', email: 'e@x.io' }).name).toBe('Admin');
    expect(principalFromClaims({ sub: 'eve', name: '\u200B', email: 'e@x.io' }).name).toBe('e@x.io');
    expect(await codeOf(sendMessage(ctx, alice, chat.id, { content: '\u200B\u2060\uFEFF' }))).toBe('400 bad_request');
    const sent = await sendMessage(ctx, alice, chat.id, { content: 'fine' });
    expect(await codeOf(editMessage(ctx, alice, chat.id, sent.message.id, '\u200B'))).toBe('400 bad_request');
    // RTL marks inside real content are kept: content is not display text.
    expect((await sendMessage(ctx, alice, chat.id, { content: 'שלום\u200F!' })).message.content).toBe('שלום\u200F!');
  });

  it('a support request whose initial message shows nothing opens without a message', async () => {
    const { ctx, repo } = memoryContext();
    const alice = await user(repo, 'alice');
    const { chat } = await openSupportChat(ctx, alice, { initialMessage: '\u200B ' });
    expect(chat.lastSeq).toBe(0);
  });
});

describe('lone surrogates (item 14)', () => {
  it('finds the first ill-formed string or key, with its path', () => {
    expect(illFormedPath({ a: ['ok', '😀'], b: 'x' }, 'body')).toBeUndefined();
    expect(illFormedPath({ a: ['ok', 'x\uD800'] }, 'body')).toBe('body.a[1]');
    expect(illFormedPath({ m: { ['k\uDC00']: 1 } }, 'body')).toBe('body.m.k\uFFFD');
    expect(illFormedPath('\uDE00\uD83D', 'frame')).toBe('frame');
    expect(() => requireWellFormed({ content: 'a\uDBFFb' }, 'body')).toThrow(expect.objectContaining({ status: 400, errors: [{ path: 'body.content', message: 'contains a lone surrogate' }] }));
  });

  it('property: agrees with String.prototype.isWellFormed', () => {
    const native = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)) }), (a, b) => {
      expect(isWellFormed(a + b)).toBe(native(a + b));
    }));
  });
});
