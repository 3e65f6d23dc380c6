/**
 * Test fixtures whose bytes are what they claim to be: `sampleFile(type,
 * size)` is a real header of each accepted type (the magic numbers of
 * `functions/domain/file-signatures.ts`) padded with random bytes to
 * `size`, so uploads in tests pass the attach-time signature check the way
 * a client's real files do.
 */
import { randomBytes } from 'node:crypto';

const enc = (text: string) => [...Buffer.from(text, 'latin1')];

/** The leading bytes of a minimal file of each accepted type. */
export const SAMPLE_HEADERS: Record<string, readonly number[]> = {
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, ...enc('IHDR')],
  'image/jpeg': [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, ...enc('JFIF'), 0],
  'image/gif': enc('GIF89a'),
  'image/webp': [...enc('RIFF'), 0x24, 0, 0, 0, ...enc('WEBPVP8 ')],
  'audio/mpeg': [...enc('ID3'), 4, 0, 0, 0, 0, 0, 0],
  'audio/aac': [0xff, 0xf1, 0x50, 0x80],
  'audio/mp4': [0, 0, 0, 0x20, ...enc('ftypM4A '), 0, 0, 0, 0],
  'audio/ogg': [...enc('OggS'), 0, 2],
  'audio/webm': [0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84, ...enc('webm')],
  'video/mp4': [0, 0, 0, 0x20, ...enc('ftypisom'), 0, 0, 2, 0],
  'video/quicktime': [0, 0, 0, 0x14, ...enc('ftypqt  '), 0, 0, 0, 0],
  'video/webm': [0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84, ...enc('webm')],
  'application/pdf': enc('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'),
};

/** `size` bytes (at least the header's length) starting with a real header of `contentType`; random bytes for unknown types. */
export function sampleFile(contentType: string, size: number): Buffer {
  const header = Buffer.from(SAMPLE_HEADERS[contentType] ?? []);
  if (size <= header.length) return header.subarray(0, Math.max(size, 0));
  return Buffer.concat([header, randomBytes(size - header.length)]);
}
