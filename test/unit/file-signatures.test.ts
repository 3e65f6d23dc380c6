import { describe, expect, it } from 'vitest';
import { ALLOWED_CONTENT_TYPES } from '../../functions/domain/attachments';
import { HEAD_BYTES, isPlainTextHead, matchesSignature } from '../../functions/domain/file-signatures';
import { SAMPLE_HEADERS, sampleFile } from '../support/sample-files';

const text = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const attacks = {
  html: text('<!DOCTYPE html><script>alert(1)</script>'),
  svg: text('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
  script: text('alert(document.cookie)'),
  empty: new Uint8Array(),
  zeros: new Uint8Array(HEAD_BYTES),
};

describe('file signatures (issue 13 item 15)', () => {
  it('accepts a real header of every allowed type, within the first 64 bytes', () => {
    for (const type of ALLOWED_CONTENT_TYPES) {
      expect(SAMPLE_HEADERS[type], type).toBeDefined();
      expect(matchesSignature(type, sampleFile(type, 1000).subarray(0, HEAD_BYTES)), type).toBe(true);
    }
  });

  it('refuses HTML, SVG, script, empty and zeroed heads for every allowed type', () => {
    for (const type of ALLOWED_CONTENT_TYPES) {
      for (const [name, head] of Object.entries(attacks)) expect(matchesSignature(type, head), `${name} as ${type}`).toBe(false);
    }
  });

  it('tells the image types apart, and never matches a type outside the allow-list', () => {
    const images = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
    for (const declared of images) {
      for (const actual of images) expect(matchesSignature(declared, sampleFile(actual, 64)), `${actual} as ${declared}`).toBe(declared === actual);
    }
    expect(matchesSignature('application/pdf', sampleFile('image/png', 64))).toBe(false);
    expect(matchesSignature('image/svg+xml', attacks.svg)).toBe(false);
    expect(matchesSignature('text/html', attacks.html)).toBe(false);
    // MPEG audio and ADTS share the sync bits; the layer bits tell them apart.
    expect(matchesSignature('audio/mpeg', new Uint8Array([0xff, 0xfb, 0x90, 0x00]))).toBe(true);
    expect(matchesSignature('audio/mpeg', new Uint8Array([0xff, 0xf1, 0x50, 0x80]))).toBe(false);
    expect(matchesSignature('audio/aac', new Uint8Array([0xff, 0xfb, 0x90, 0x00]))).toBe(false);
  });

  it('the text rule: no NUL, valid UTF-8, a sequence cut at the end allowed', () => {
    expect(isPlainTextHead(new TextEncoder().encode('hello, wörld ✓'))).toBe(true);
    expect(isPlainTextHead(new TextEncoder().encode('✓').subarray(0, 2))).toBe(true);
    expect(isPlainTextHead(new Uint8Array([0x68, 0x00, 0x69]))).toBe(false);
    expect(isPlainTextHead(new Uint8Array([0xff, 0xfe, 0x68, 0x00]))).toBe(false);
    expect(isPlainTextHead(new Uint8Array([0xc3, 0x28]))).toBe(false);
  });
});
