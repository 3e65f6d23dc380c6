/**
 * Text that people see: the rules of issue 13 items 13 and 14.
 *
 * - Lone surrogates (a UTF-16 half without its pair, e.g. JSON `"\uD800"`)
 *   are refused with 400 wherever text enters (bodies, frames, path and
 *   query; `illFormedPath`), instead of being stored verbatim in one place
 *   and turned into U+FFFD in another.
 * - Display text (names, titles, subjects, filenames) loses bidirectional
 *   controls (Unicode's Bidi_Control property: U+061C, U+200E, U+200F,
 *   U+202A–U+202E, U+2066–U+2069), so "Dr. Smith\u202Egnp.exe" cannot
 *   reorder what follows it, and zero-width characters that only hide
 *   differences (U+200B, U+2060, U+FEFF, U+180E, U+00AD); ZWJ/ZWNJ stay
 *   (emoji sequences, Persian and Indic scripts need them) but not at the
 *   ends. Empty after that is 400.
 * - Message content keeps its characters (bidi marks are legitimate in
 *   right-to-left writing) but content that is empty once whitespace and
 *   invisible characters are removed (`isBlank`) counts as no content.
 */
import { BadRequestError } from './errors';

/** Unicode Bidi_Control (UAX #9). */
export const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;
/** Zero-width and soft characters that render as nothing and only disguise text. */
const HIDDEN = /[\u00AD\u180E\u200B\u2060\uFEFF]/gu;
/** Joiners are kept inside text but never lead or trail it. */
const EDGE_JOINERS = /^[\u200C\u200D\s]+|[\u200C\u200D\s]+$/gu;
/**
 * What renders as nothing: whitespace, default-ignorable code points (bidi
 * controls, joiners, variation selectors, Hangul fillers, tag characters…),
 * other format characters and the Braille blank.
 */
const INVISIBLE = /[\s\p{Default_Ignorable_Code_Point}\p{Cf}\u2800]/gu;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one (no `u` flag: code units). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');
/** `String.prototype.isWellFormed` (ES2024), for the ES2023 lib this project compiles against. */
export const isWellFormed = (text: string) => !LONE_SURROGATE.test(text);
/** `String.prototype.toWellFormed`: lone surrogates become U+FFFD. */
export const toWellFormed = (text: string) => text.replace(LONE_SURROGATES, '\uFFFD');

/** True when `text` shows nothing: empty once whitespace and invisible characters are removed. */
export function isBlank(text: string): boolean {
  return text.replace(INVISIBLE, '') === '';
}

/** `text` without bidi controls and hidden characters, trimmed (whitespace and edge joiners); may be ''. */
export function stripDisplayText(text: string): string {
  return text.replace(BIDI_CONTROLS, '').replace(HIDDEN, '').replace(EDGE_JOINERS, '');
}

/**
 * A name, title or subject as stored and shown: `stripDisplayText`, then
 * refused (400 naming `field`) when nothing visible is left.
 */
export function displayText(text: string, field: string): string {
  const clean = stripDisplayText(text);
  if (isBlank(clean)) throw new BadRequestError(`The ${field} must contain visible characters.`);
  return clean;
}

/**
 * The path (`body.title`, `frame.content`, `body.metadata.k`) of the first
 * string or object key in `value` that is not well-formed UTF-16 (has a
 * lone surrogate), or undefined. Walks at most `limit` nodes (bodies are
 * size-capped before this).
 */
export function illFormedPath(value: unknown, where: string, limit = 100_000): string | undefined {
  let visited = 0;
  const walk = (v: unknown, path: string): string | undefined => {
    if (++visited > limit) return undefined;
    if (typeof v === 'string') return isWellFormed(v) ? undefined : path;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const found = walk(v[i], `${path}[${i}]`);
        if (found) return found;
      }
      return undefined;
    }
    if (v && typeof v === 'object') {
      for (const [key, item] of Object.entries(v)) {
        if (!isWellFormed(key)) return `${path}.${toWellFormed(key)}`;
        const found = walk(item, `${path}.${key}`);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(value, where);
}

/** Throws 400 when `value` holds a lone surrogate anywhere (`illFormedPath`). */
export function requireWellFormed(value: unknown, where: string): void {
  const path = illFormedPath(value, where);
  if (path) {
    throw new BadRequestError('Text must be valid Unicode: a lone surrogate (half of a UTF-16 pair) is not a character.', {
      errors: [{ path: toWellFormed(path), message: 'contains a lone surrogate' }],
    });
  }
}
