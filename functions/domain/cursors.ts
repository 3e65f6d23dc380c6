/**
 * Opaque, signed list cursors (issue 13 item 11).
 *
 * A cursor that wraps a DynamoDB key (`LastEvaluatedKey`) or any other
 * position the server must trust is handed to clients sealed: the payload
 * as base64url JSON plus an HMAC-SHA256 tag (truncated to 128 bits, as RFC
 * 2104 §5 allows) over
 *
 *   version · kind · caller · filter · payload
 *
 * so a cursor opens only for the list it came from (`kind`), for the user it
 * was given to (`caller`), and with the same filters (`filter`, e.g. the
 * queue's status, which selects the index its key belongs to). Anything else
 * (forged, edited, truncated, another user's, another list's, another
 * filter's, or signed with a rotated secret) answers 400 `bad_request`
 * before any read, so a forged `ExclusiveStartKey` never reaches DynamoDB.
 * Opened payloads are also checked against a zod shape, a second fence in
 * case a secret leaks.
 *
 * Wire format: `<base64url(JSON payload)>.<base64url(16-byte tag)>`, at
 * most a few hundred characters for a DynamoDB key. The secret is
 * `CURSOR_SECRET` (`functions/config.ts`); rotating it invalidates every
 * outstanding cursor (clients start again from the first page).
 *
 * Cursors are not encrypted: the payload is readable base64url. Put only
 * positions in them (keys, ids, timestamps), never content.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type * as z from 'zod';
import { BadRequestError } from './errors';

/** Which list a cursor belongs to and to whom. */
export interface CursorScope {
  /** The list, e.g. `support-queue`, `chats`, `sync`. */
  readonly kind: string;
  /** The caller's user id (a cursor never opens for someone else). */
  readonly caller: string;
  /** Query parameters the position depends on (omitted/undefined values are ignored). */
  readonly filter?: Readonly<Record<string, string | number | boolean | null | undefined>>;
}

export interface CursorCodec {
  /** The opaque cursor for `payload` (JSON-serializable) in `scope`. */
  seal(scope: CursorScope, payload: unknown): string;
  /**
   * The payload of `raw` if it was sealed by this secret for `scope` and has
   * `shape`; otherwise throws `BadRequestError` ("Invalid cursor.").
   */
  open<T>(scope: CursorScope, raw: string, shape: z.ZodType<T>): T;
}

const VERSION = 'c1';
const TAG_BYTES = 16;
/** A sealed DynamoDB key is far below this; longer input is refused before any work. */
const MAX_CURSOR_LENGTH = 2048;

/** Filter entries in key order, undefined dropped: the same filter always signs the same. */
function canonicalFilter(filter: CursorScope['filter']): string {
  if (!filter) return '{}';
  const entries = Object.entries(filter)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries);
}

/**
 * A codec over `secret` (at least 32 bytes of entropy; `CURSOR_SECRET`).
 * Pure apart from the HMAC: the same secret, scope and payload always give
 * the same cursor.
 */
export function createCursorCodec(secret: string | Buffer): CursorCodec {
  if (secret.length < 32) throw new Error('The cursor secret must be at least 32 characters.');
  const tag = (scope: CursorScope, body: string) =>
    createHmac('sha256', secret)
      // Length-prefixed fields: no two different scopes serialize the same.
      .update([VERSION, scope.kind, scope.caller, canonicalFilter(scope.filter), body].map((f) => `${f.length}:${f}`).join('|'))
      .digest()
      .subarray(0, TAG_BYTES);

  const invalid = () => new BadRequestError('Invalid cursor: pass back the nextCursor of the same list, with the same filters.');

  return {
    seal(scope, payload) {
      const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
      return `${body}.${tag(scope, body).toString('base64url')}`;
    },
    open(scope, raw, shape) {
      if (typeof raw !== 'string' || raw.length > MAX_CURSOR_LENGTH) throw invalid();
      const dot = raw.indexOf('.');
      if (dot <= 0 || dot !== raw.lastIndexOf('.')) throw invalid();
      const body = raw.slice(0, dot);
      const given = Buffer.from(raw.slice(dot + 1), 'base64url');
      const expected = tag(scope, body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
      let payload: unknown;
      try {
        payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        throw invalid();
      }
      const parsed = shape.safeParse(payload);
      if (!parsed.success) throw invalid();
      return parsed.data;
    },
  };
}
