/**
 * Message ids: `<ULID>-<seq in base 36>`.
 *
 * Opaque to clients (SPEC §3) and globally unique through the ULID; the seq
 * suffix lets the server locate the message by key (`CHAT#id` / `MSG#seq`)
 * with one GetItem, instead of paying an index write on every message to
 * find it by id. Readers must compare the whole id with the stored one, so a
 * forged suffix finds nothing.
 */
export function messageId(ulid: string, seq: number): string {
  return `${ulid}-${seq.toString(36)}`;
}

/** The seq encoded in a message id, or undefined for anything that is not one of ours. */
export function seqOfMessageId(id: string): number | undefined {
  const match = /^[0-9A-HJKMNP-TV-Z]{26}-([0-9a-z]{1,11})$/.exec(id);
  if (!match) return undefined;
  const seq = parseInt(match[1], 36);
  return Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
}
