/**
 * Attachments (SPEC §4-§5): presigned uploads straight to S3, checked and
 * consumed when a message uses them, presigned downloads in message reads.
 * File bytes never pass through Lambda.
 *
 * Object keys never come from the filename: `pending/<chatId>/<id>` while
 * uploading (the bucket's lifecycle rule deletes these after a day, so
 * abandoned uploads clean themselves up), then `chats/<chatId>/<id>` once a
 * message uses it (a server-side copy).
 */
import { isBlank, stripDisplayText } from './text';
import { AttachmentNotUploadedError, AttachmentTypeMismatchError, BadRequestError, PayloadTooLargeError } from './errors';
import { HEAD_BYTES, matchesSignature } from './file-signatures';
import type { MessageT } from '../schemas';
import { requireParticipant } from './chats';
import type { DomainContext } from './context';
import { withSlot } from './limits';
import type { AttachmentKind, AttachmentRecord, MessageRecord, Principal, StoredAttachment } from './types';
import { messageView, replyView } from './views';

/** SPEC §5: the accepted content types. */
export const ALLOWED_CONTENT_TYPES = [
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'audio/mpeg',
  'audio/mp4',
  'audio/aac',
  'audio/ogg',
  'audio/webm',
  'video/mp4',
  'video/quicktime',
  'video/webm',
  'application/pdf',
] as const;

/** SPEC §5: at most 5 attachments per message. */
export const MAX_ATTACHMENTS_PER_MESSAGE = 5;
/** Pending slots (and their objects, by the bucket lifecycle rule) live one day. */
export const PENDING_TTL_SECONDS = 24 * 60 * 60;

export const pendingKey = (chatId: string, id: string) => `pending/${chatId}/${id}`;
export const objectKey = (chatId: string, id: string) => `chats/${chatId}/${id}`;

/** `image/png; charset=x` → `image/png`, lower case. */
export const normalizeContentType = (contentType: string) => contentType.split(';')[0].trim().toLowerCase();

export function kindOf(contentType: string): AttachmentKind {
  const major = contentType.split('/')[0];
  return major === 'image' || major === 'audio' || major === 'video' ? major : 'file';
}

/**
 * The last path segment, without control characters, bidi controls and
 * hidden characters ("invoice\u202Efdp.exe" shows as "invoiceexe.pdf"
 * otherwise: issue 13 item 13), at most 255 characters; `file` if nothing is left.
 */
export function cleanFilename(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = stripDisplayText(base.replace(/[\u0000-\u001f\u007f]/g, '')).trim();
  const short = [...clean].slice(0, 255).join('');
  return isBlank(short) ? 'file' : short;
}

/**
 * `POST /v1/chats/{id}/attachments {filename, contentType, size}`: by a
 * participant. Checks type (allow-list, 400) and size (≤ limit, 413) up
 * front, records a pending slot owned by the caller in this chat, and
 * answers a presigned PUT whose signature binds the key, the content type
 * and the exact length (S3 refuses any other with 403).
 */
export async function createAttachment(
  ctx: DomainContext,
  principal: Principal,
  chatId: string,
  input: { filename: string; contentType: string; size: number },
) {
  const contentType = normalizeContentType(input.contentType);
  if (!(ALLOWED_CONTENT_TYPES as readonly string[]).includes(contentType)) {
    throw new BadRequestError(`Content type ${contentType} is not accepted; use one of ${ALLOWED_CONTENT_TYPES.join(', ')}.`);
  }
  if (input.size > ctx.limits.maxAttachmentBytes) {
    throw new PayloadTooLargeError(`Attachments are limited to ${ctx.limits.maxAttachmentBytes} bytes.`);
  }
  // An upload slot is a write (SPEC §5 `writes`): a pending record and a presigned URL each.
  await withSlot(ctx, principal.userId, 'writes', requireParticipant(ctx, principal, chatId));
  const now = ctx.now();
  const record: AttachmentRecord = {
    id: ctx.newId(),
    chatId,
    ownerId: principal.userId,
    filename: cleanFilename(input.filename),
    contentType,
    size: input.size,
    status: 'pending',
    createdAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + PENDING_TTL_SECONDS,
  };
  await ctx.repo.attachments.create(record);
  const upload = await ctx.storage.presignUpload(pendingKey(chatId, record.id), contentType, input.size, ctx.limits.uploadUrlSeconds);
  return {
    attachment: { id: record.id, filename: record.filename, contentType, size: record.size, kind: kindOf(contentType), status: 'pending' as const },
    upload,
    expiresAt: new Date(now.getTime() + ctx.limits.uploadUrlSeconds * 1000).toISOString(),
  };
}

const notUploaded = (id: string) => new AttachmentNotUploadedError(`Attachment ${id} is not an uploaded, unused attachment of yours in this chat.`);

/**
 * Checks the attachments a message wants to use and moves their objects to
 * their final keys. Each id must be the caller's, in this chat, unused, and
 * its object must exist with the declared type and size (local S3 servers
 * do not enforce the upload's signed headers the way S3 does, and this also
 * catches uploads that never happened). Anything else is 400
 * `attachment_not_uploaded`. Its first bytes must then be those of the
 * declared type (`file-signatures.ts`, issue 13 item 15), else 400
 * `attachment_type_mismatch` and the pending object is deleted. Type, size
 * and bytes come from one ranged GetObject per id (`readStart`, 64 bytes). The ids are consumed later, atomically with the
 * message write (`MessageStore.putAtomically`).
 */
export async function prepareAttachments(ctx: DomainContext, principal: Principal, chatId: string, ids: string[]): Promise<StoredAttachment[]> {
  if (ids.length === 0) return [];
  if (new Set(ids).size !== ids.length) throw new BadRequestError('attachmentIds contains duplicates.');
  if (ids.length > MAX_ATTACHMENTS_PER_MESSAGE) throw new BadRequestError(`A message has at most ${MAX_ATTACHMENTS_PER_MESSAGE} attachments.`);
  const records = new Map((await ctx.repo.attachments.getMany(chatId, ids)).map((a) => [a.id, a]));
  const stored: StoredAttachment[] = [];
  for (const id of ids) {
    const record = records.get(id);
    if (!record || record.ownerId !== principal.userId || record.status !== 'pending') throw notUploaded(id);
    stored.push({ id, filename: record.filename, contentType: record.contentType, size: record.size, kind: kindOf(record.contentType), key: objectKey(chatId, id) });
  }
  const starts = await Promise.all(ids.map((id) => ctx.storage.readStart(pendingKey(chatId, id), HEAD_BYTES)));
  starts.forEach((start, i) => {
    const record = records.get(ids[i])!;
    const sizeOk = start?.size === record.size && record.size <= ctx.limits.maxAttachmentBytes;
    if (!start || !sizeOk || normalizeContentType(start.contentType ?? '') !== record.contentType) throw notUploaded(ids[i]);
  });
  const mismatched = ids.filter((id, i) => !matchesSignature(records.get(id)!.contentType, starts[i]!.head));
  if (mismatched.length > 0) {
    // The bytes are not what their uploader declared (an HTML page or SVG as image/png): they are never served, so
    // they go now rather than at the pending lifecycle expiry; the slot stays pending, so a corrected upload can follow.
    await ctx.storage.remove(mismatched.map((id) => pendingKey(chatId, id)));
    const id = mismatched[0];
    throw new AttachmentTypeMismatchError(`Attachment ${id}'s bytes are not a ${records.get(id)!.contentType} file.`);
  }
  // Idempotent: the final key depends only on the id, so a retried or racing send copies the same object.
  await Promise.all(ids.map((id) => ctx.storage.copy(pendingKey(chatId, id), objectKey(chatId, id))));
  return stored;
}

/**
 * API views of messages with presigned, short-lived download URLs for their
 * attachments (`urlExpiresAt`). Deleted messages have none. Signing is a
 * local computation: no request to S3.
 *
 * Replies get their `replyTo` preview from the original as it is now (SPEC
 * §6: edited, the new text; deleted, "" with `deleted: true`): originals
 * found among `messages` or `known` cost nothing, the others are read by
 * key in one BatchGetItem per chat (⌈n/100⌉ requests for n originals).
 * Resolving at read time costs nothing on edits and deletes and stores no
 * copy of anyone's text in other messages.
 */
export async function presentMessages(
  ctx: DomainContext,
  messages: MessageRecord[],
  markers?: ReadonlyMap<string, number>,
  known: readonly MessageRecord[] = [],
): Promise<MessageT[]> {
  const seconds = ctx.limits.downloadUrlSeconds;
  const urlExpiresAt = new Date(ctx.now().getTime() + seconds * 1000).toISOString();
  const originals = await replyOriginals(ctx, messages, known);
  return Promise.all(
    messages.map(async (m) => {
      const view = messageView(m, markers);
      if (m.replyTo) view.replyTo = replyView(m.replyTo, originals.get(`${m.chatId}|${m.replyTo.seq}`));
      if (!m.deletedAt && m.attachments?.length) {
        view.attachments = await Promise.all(
          m.attachments.map(async (a) => ({
            id: a.id,
            filename: a.filename,
            contentType: a.contentType,
            size: a.size,
            kind: a.kind,
            url: await ctx.storage.presignDownload(a.key, a, seconds),
            urlExpiresAt,
          })),
        );
      }
      return view;
    }),
  );
}

export async function presentMessage(
  ctx: DomainContext,
  message: MessageRecord,
  markers?: ReadonlyMap<string, number>,
  known: readonly MessageRecord[] = [],
): Promise<MessageT> {
  return (await presentMessages(ctx, [message], markers, known))[0];
}

/** The originals the replies among `messages` quote, by `<chatId>|<seq>`. */
async function replyOriginals(ctx: DomainContext, messages: readonly MessageRecord[], known: readonly MessageRecord[]): Promise<Map<string, MessageRecord>> {
  const byKey = new Map<string, MessageRecord>();
  for (const m of [...known, ...messages]) byKey.set(`${m.chatId}|${m.seq}`, m);
  const missing = new Map<string, Set<number>>();
  for (const m of messages) {
    if (m.replyTo && !byKey.has(`${m.chatId}|${m.replyTo.seq}`)) {
      const seqs = missing.get(m.chatId) ?? new Set<number>();
      seqs.add(m.replyTo.seq);
      missing.set(m.chatId, seqs);
    }
  }
  const fetched = await Promise.all([...missing].map(([chatId, seqs]) => ctx.repo.messages.getMany(chatId, [...seqs])));
  for (const m of fetched.flat()) byKey.set(`${m.chatId}|${m.seq}`, m);
  return byKey;
}
