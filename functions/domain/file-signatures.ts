/**
 * Magic numbers of the accepted attachment types (issue 13 item 15): the
 * first bytes of an uploaded object must match the type its uploader
 * declared, so an HTML page, an SVG or a script uploaded as `image/png` is
 * refused (400 `attachment_type_mismatch`) before any message uses it.
 *
 * The check reads the first {@link HEAD_BYTES} bytes only (one ranged
 * GetObject, `Range: bytes=0-63`). Every signature below lies within them:
 *
 * | type | first bytes |
 * |---|---|
 * | image/png | `89 50 4E 47 0D 0A 1A 0A` |
 * | image/jpeg | `FF D8 FF` |
 * | image/gif | `GIF87a` or `GIF89a` |
 * | image/webp | `RIFF` ⋯ `WEBP` at offset 8 |
 * | audio/mpeg | `ID3` (ID3v2 tag) or an MPEG audio frame sync (`FF Ex`, layer ≠ 0) |
 * | audio/aac | an ADTS frame sync (`FF F0`/`FF F1`/`FF F8`/`FF F9`), `ADIF`, or `ID3` |
 * | audio/mp4, video/mp4 | ISO BMFF: `ftyp` at offset 4 |
 * | video/quicktime | `ftyp`, or a classic QuickTime atom (`moov`, `mdat`, `wide`, `free`, `skip`, `pnot`) at offset 4 |
 * | audio/ogg | `OggS` |
 * | audio/webm, video/webm | EBML `1A 45 DF A3` |
 * | application/pdf | `%PDF-` at offset 0 |
 *
 * Choices: the table is deliberately small and strict (the file's very
 * start, no scanning): PDF readers tolerate junk before `%PDF-`, but a
 * client that produces a real PDF never writes any, and tolerating it is
 * exactly what a polyglot needs. WebM and Matroska share the EBML magic;
 * the declared type decides how it is served, which is what matters. The
 * table is keyed by the allow-list's type, so adding a type to
 * `ALLOWED_CONTENT_TYPES` does not compile until it has a rule here.
 *
 * Text types: none is accepted today (SPEC §5's list has no text type). A
 * text type has no magic number; its rule would be {@link isPlainTextHead}
 * (no NUL byte, valid UTF-8 in the head, a sequence cut by the 64-byte limit
 * allowed), which refuses binaries and UTF-16 uploaded as text.
 *
 * These checks are about what the bytes say they are, not about malware:
 * GuardDuty Malware Protection for S3 is the opt-in for that (README).
 */
import type { ALLOWED_CONTENT_TYPES } from './attachments';

/** How many leading bytes the check reads (`Range: bytes=0-63`). */
export const HEAD_BYTES = 64;

type AllowedContentType = (typeof ALLOWED_CONTENT_TYPES)[number];

const ascii = (head: Uint8Array, offset: number, text: string) => {
  if (head.length < offset + text.length) return false;
  for (let i = 0; i < text.length; i++) if (head[offset + i] !== text.charCodeAt(i)) return false;
  return true;
};
const bytes = (head: Uint8Array, offset: number, expected: readonly number[]) =>
  head.length >= offset + expected.length && expected.every((b, i) => head[offset + i] === b);

/** An MPEG audio frame header: 11 sync bits, and layer bits 01/10/11 (00 is reserved; ADTS uses it). */
const mpegFrame = (h: Uint8Array) => h.length >= 2 && h[0] === 0xff && (h[1] & 0xe0) === 0xe0 && (h[1] & 0x06) !== 0;
/** An ADTS (AAC) frame header: 12 sync bits, layer 00. */
const adtsFrame = (h: Uint8Array) => h.length >= 2 && h[0] === 0xff && (h[1] & 0xf6) === 0xf0;
const isoBmff = (h: Uint8Array) => ascii(h, 4, 'ftyp');
const ebml = (h: Uint8Array) => bytes(h, 0, [0x1a, 0x45, 0xdf, 0xa3]);

const SIGNATURES: Record<AllowedContentType, (head: Uint8Array) => boolean> = {
  'image/png': (h) => bytes(h, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  'image/jpeg': (h) => bytes(h, 0, [0xff, 0xd8, 0xff]),
  'image/gif': (h) => ascii(h, 0, 'GIF87a') || ascii(h, 0, 'GIF89a'),
  'image/webp': (h) => ascii(h, 0, 'RIFF') && ascii(h, 8, 'WEBP'),
  'audio/mpeg': (h) => ascii(h, 0, 'ID3') || mpegFrame(h),
  'audio/aac': (h) => adtsFrame(h) || ascii(h, 0, 'ADIF') || ascii(h, 0, 'ID3'),
  'audio/mp4': isoBmff,
  'video/mp4': isoBmff,
  'video/quicktime': (h) => ['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip', 'pnot'].some((atom) => ascii(h, 4, atom)),
  'audio/ogg': (h) => ascii(h, 0, 'OggS'),
  'audio/webm': ebml,
  'video/webm': ebml,
  'application/pdf': (h) => ascii(h, 0, '%PDF-'),
};

/**
 * True when `head` (the object's first bytes, at most {@link HEAD_BYTES})
 * starts the way a file of `contentType` (normalized, from the allow-list)
 * does. An unknown type never matches.
 */
export function matchesSignature(contentType: string, head: Uint8Array): boolean {
  const rule = (SIGNATURES as Record<string, ((head: Uint8Array) => boolean) | undefined>)[contentType];
  return rule !== undefined && rule(head);
}

/**
 * The rule for text types (none accepted today, see the module doc): no NUL
 * byte and valid UTF-8, where a multi-byte sequence cut off at the end of
 * the head (the 64-byte limit) counts as valid.
 */
export function isPlainTextHead(head: Uint8Array): boolean {
  if (head.includes(0)) return false;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    decoder.decode(head, { stream: true }); // stream: an incomplete final sequence is kept, not an error
    return true;
  } catch {
    return false;
  }
}
