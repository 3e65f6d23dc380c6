/**
 * Signed, caller-bound cursors: an opaque string a client passes back
 * unchanged, which the server can trust. The value is JSON, base64url
 * encoded, followed by `.` and an HMAC-SHA256 tag (first 16 bytes,
 * base64url) over the purpose, the binding (the caller's user id) and the
 * value; so a cursor cannot be forged or edited, and another user's cursor
 * (or one minted for another purpose, e.g. the support queue's) fails to
 * verify. The binding is not in the cursor: a cursor does not reveal whose
 * it is.
 *
 * The key is derived from `CURSOR_SECRET` (config; the CDK stack generates
 * it in Secrets Manager, the local stack per data directory) per purpose:
 * HMAC(secret, "chat-cursor:" + purpose). Rotating the secret invalidates
 * every outstanding cursor (sync cursors then answer 400; clients reload).
 *
 * Not encryption: the value is readable by whoever holds the cursor (it
 * holds positions the caller has already been shown, never other users' data).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const TAG_BYTES = 16;

export interface SignedCursorCodec<T> {
  /** The cursor for `value`, bound to `binding` (the caller's user id). */
  encode(value: T, binding: string): string;
  /** The value, when `raw` is a cursor this codec made for `binding`; undefined otherwise (forged, edited, someone else's). */
  decode(raw: string, binding: string): T | undefined;
}

/**
 * A codec for one purpose (`sync`, `support-queue`). `secret` must be at
 * least 32 characters; `validate` checks the decoded JSON's shape (a valid
 * tag proves we made it, but an older release may have made it differently).
 */
export function signedCursor<T>(secret: string | undefined, purpose: string, validate: (value: unknown) => value is T): SignedCursorCodec<T> {
  if (!secret || secret.length < 32) throw new Error('CURSOR_SECRET is not configured (at least 32 characters).');
  const key = createHmac('sha256', secret).update(`chat-cursor:${purpose}`).digest();
  const tag = (binding: string, body: string) => createHmac('sha256', key).update(binding).update('\n').update(body).digest().subarray(0, TAG_BYTES);

  return {
    encode(value, binding) {
      const body = Buffer.from(JSON.stringify(value)).toString('base64url');
      return `${body}.${tag(binding, body).toString('base64url')}`;
    },
    decode(raw, binding) {
      const dot = raw.indexOf('.');
      if (dot <= 0) return undefined;
      const body = raw.slice(0, dot);
      const given = Buffer.from(raw.slice(dot + 1), 'base64url');
      const expected = tag(binding, body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      try {
        const value: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
        return validate(value) ? value : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
