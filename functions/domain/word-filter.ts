/**
 * The operator's word filter (SPEC §9): a message or edit containing a
 * blocked word, as a whole word, case-insensitively, after Unicode NFKC
 * normalisation, answers 400 `content_blocked` and stores nothing.
 *
 * Configured with `BLOCKED_WORDS` (comma-separated; CDK context
 * `blockedWords`), read once per container into `Limits.blockedWords`.
 *
 * "Whole word": the match is neither preceded nor followed by a letter,
 * mark, digit or connector (`\p{L}\p{M}\p{N}\p{Pc}`), so `ass` blocks
 * "ass" and "ASS!" but not "class" or "assess". NFKC folds compatibility
 * forms (fullwidth `ｂａｄ`, ligatures, circled letters) into plain ones
 * before matching, and the words themselves are normalised the same way.
 * An entry may be a phrase (`buy now`): its inner spaces match any run of
 * white space.
 */
import { ContentBlockedError } from './errors';

/** A compiled filter: `test(content)` answers whether the content contains a blocked word. */
export interface WordFilter {
  readonly words: readonly string[];
  test(content: string): boolean;
}

const normalise = (text: string) => text.normalize('NFKC').toLowerCase();
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
const WORD_CHAR = '[\\p{L}\\p{M}\\p{N}\\p{Pc}]';

/** `BLOCKED_WORDS` text → the list of words (trimmed, normalised, distinct, empty entries dropped). */
export function parseBlockedWords(raw: string | undefined): string[] {
  return [...new Set((raw ?? '').split(',').map((w) => normalise(w).trim().replace(/\s+/g, ' ')).filter((w) => w !== ''))];
}

/** Compiles the words into one regular expression (built once per container, not per message). */
export function compileWordFilter(words: readonly string[]): WordFilter {
  const list = parseBlockedWords(words.join(','));
  if (list.length === 0) return { words: list, test: () => false };
  const alternatives = list.map((w) => w.split(' ').map(escape).join('\\s+')).sort((a, b) => b.length - a.length);
  const pattern = new RegExp(`(?<!${WORD_CHAR})(?:${alternatives.join('|')})(?!${WORD_CHAR})`, 'u');
  return { words: list, test: (content) => pattern.test(normalise(content)) };
}

const compiled = new WeakMap<readonly string[], WordFilter>();

/** 400 `content_blocked` when `content` contains one of `words` (SPEC §9). The compiled filter is cached per list. */
export function checkBlockedWords(words: readonly string[], content: string): void {
  if (words.length === 0 || content === '') return;
  let filter = compiled.get(words);
  if (!filter) compiled.set(words, (filter = compileWordFilter(words)));
  if (filter.test(content)) throw new ContentBlockedError();
}
