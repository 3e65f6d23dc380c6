import { describe, expect, it } from 'vitest';
import { cleanFilename, createAttachment, kindOf, objectKey, pendingKey } from '../../functions/domain/attachments';
import { createChat } from '../../functions/domain/chats';
import { deleteMessage, listMessages, sendMessage } from '../../functions/domain/messages';
import { codeOf } from '../support/errors';
import { sampleFile } from '../support/sample-files';
import { memoryContext, user } from '../support/memory';

async function setup() {
  const m = memoryContext();
  const alice = await user(m.repo, 'alice');
  const bob = await user(m.repo, 'bob');
  const mallory = await user(m.repo, 'mallory');
  const { chat } = await createChat(m.ctx, alice, { type: 'direct', participantIds: ['bob'] });
  const other = (await createChat(m.ctx, alice, { type: 'direct', participantIds: ['mallory'] })).chat.id;
  /** Reserves and "uploads" (the declared object unless `actual` says otherwise). */
  const upload = async (who = alice, chatId = chat.id, file = { filename: 'cow.jpg', contentType: 'image/jpeg', size: 1000 }, actual?: { contentType: string; size: number }) => {
    const { attachment } = await createAttachment(m.ctx, who, chatId, file);
    m.storage.upload(pendingKey(chatId, attachment.id), actual?.contentType ?? file.contentType, actual?.size ?? file.size);
    return attachment.id;
  };
  return { ...m, alice, bob, mallory, chatId: chat.id, other, upload };
}

describe('createAttachment', () => {
  it('answers a presigned PUT for a pending attachment under a key namespaced by chat', async () => {
    const { ctx, repo, alice, chatId } = await setup();
    const res = await createAttachment(ctx, alice, chatId, { filename: '../../etc/passwd photo.PNG', contentType: 'Image/PNG; charset=binary', size: 2048 });
    expect(res.attachment).toMatchObject({ filename: 'passwd photo.PNG', contentType: 'image/png', size: 2048, kind: 'image', status: 'pending' });
    expect(res.upload).toMatchObject({ method: 'PUT', headers: { 'content-type': 'image/png' } });
    expect(res.upload.url).toContain(`pending/${chatId}/${res.attachment.id}`);
    expect(res.upload.url).not.toContain('passwd');
    expect(Date.parse(res.expiresAt)).toBe(Date.parse('2026-01-01T00:15:00.000Z'));
    expect(repo.attachmentMap.get(`${chatId}|${res.attachment.id}`)).toMatchObject({ ownerId: 'alice', status: 'pending', expiresAt: expect.any(Number) });
  });

  it('refuses other types (400), oversize files (413) and non-participants (404)', async () => {
    const { ctx, alice, mallory, chatId } = await setup();
    expect(await codeOf(createAttachment(ctx, alice, chatId, { filename: 'x.exe', contentType: 'application/x-msdownload', size: 10 }))).toBe('400 bad_request');
    expect(await codeOf(createAttachment(ctx, alice, chatId, { filename: 'x.svg', contentType: 'image/svg+xml', size: 10 }))).toBe('400 bad_request');
    expect(await codeOf(createAttachment(ctx, alice, chatId, { filename: 'big.mp4', contentType: 'video/mp4', size: 10 * 1024 * 1024 + 1 }))).toBe('413 payload_too_large');
    expect(await codeOf(createAttachment(ctx, alice, chatId, { filename: 'ok.mp4', contentType: 'video/mp4', size: 10 * 1024 * 1024 }))).toBe('resolved');
    expect(await codeOf(createAttachment(ctx, mallory, chatId, { filename: 'x.png', contentType: 'image/png', size: 10 }))).toBe('404 not_found');
  });

  it('maps content types to kinds and cleans filenames', () => {
    expect(['image/png', 'audio/ogg', 'video/webm', 'application/pdf'].map(kindOf)).toEqual(['image', 'audio', 'video', 'file']);
    expect(cleanFilename('C:\\Users\\a\\report.pdf')).toBe('report.pdf');
    expect(cleanFilename('bad\u0000name\n.pdf')).toBe('badname.pdf');
    expect(cleanFilename('///')).toBe('file');
  });
});

describe('sending with attachments', () => {
  it('attaches uploaded files once, moves them to their final key and signs download URLs', async () => {
    const { ctx, storage, alice, bob, chatId, upload } = await setup();
    const a = await upload();
    const b = await upload(alice, chatId, { filename: 'voice.ogg', contentType: 'audio/ogg', size: 5 });
    const { message } = await sendMessage(ctx, alice, chatId, { attachmentIds: [a, b] });
    expect(message.content).toBe('');
    expect(message.attachments).toEqual([
      { id: a, filename: 'cow.jpg', contentType: 'image/jpeg', size: 1000, kind: 'image', url: `memory://download/${objectKey(chatId, a)}`, urlExpiresAt: '2026-01-01T00:15:00.000Z' },
      { id: b, filename: 'voice.ogg', contentType: 'audio/ogg', size: 5, kind: 'audio', url: `memory://download/${objectKey(chatId, b)}`, urlExpiresAt: '2026-01-01T00:15:00.000Z' },
    ]);
    expect(storage.objects.has(objectKey(chatId, a))).toBe(true);
    expect(storage.objects.has(pendingKey(chatId, a))).toBe(false);
    const { messages } = await listMessages(ctx, bob, chatId, { limit: 10 });
    expect(messages[0].attachments.map((x) => x.id)).toEqual([a, b]);
    expect(await codeOf(sendMessage(ctx, alice, chatId, { content: 'again', attachmentIds: [a] }))).toBe('400 attachment_not_uploaded');
  });

  it('refuses ids that are not uploaded, someone else\'s, from another chat, mismatched, duplicated or too many', async () => {
    const { ctx, repo, alice, bob, chatId, other, upload } = await setup();
    const { attachment: neverUploaded } = await createAttachment(ctx, alice, chatId, { filename: 'a.png', contentType: 'image/png', size: 10 });
    const bobs = await upload(bob);
    const elsewhere = await upload(alice, other);
    const wrongType = await upload(alice, chatId, { filename: 'a.png', contentType: 'image/png', size: 10 }, { contentType: 'text/html', size: 10 });
    const wrongSize = await upload(alice, chatId, { filename: 'a.png', contentType: 'image/png', size: 10 }, { contentType: 'image/png', size: 11 });
    for (const ids of [[neverUploaded.id], [bobs], [elsewhere], [wrongType], [wrongSize], ['nope']]) {
      expect(await codeOf(sendMessage(ctx, alice, chatId, { content: 'x', attachmentIds: ids })), ids[0]).toBe('400 attachment_not_uploaded');
    }
    const ok = await upload();
    expect(await codeOf(sendMessage(ctx, alice, chatId, { attachmentIds: [ok, ok] }))).toBe('400 bad_request');
    const six = await Promise.all([1, 2, 3, 4, 5, 6].map(() => upload()));
    expect(await codeOf(sendMessage(ctx, alice, chatId, { attachmentIds: six }))).toBe('400 bad_request');
    expect(repo.messageMap.size).toBe(0);
  });

  it('refuses bytes that are not of the declared type (an HTML page, SVG or script as image/png) and stores nothing (issue 13 item 15)', async () => {
    const { ctx, repo, storage, alice, chatId, upload } = await setup();
    const bodies = {
      html: '<!doctype html><html><body><script>fetch("/v1/me")</script></body></html>',
      svg: '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"/>',
      script: 'alert(document.domain)//',
      // A PNG signature after a leading byte is not a PNG: the check reads the very start.
      shifted: '\n\x89PNG\r\n\x1a\n<html>',
    };
    const good = await upload();
    for (const [name, text] of Object.entries(bodies)) {
      const body = Buffer.from(text, 'latin1');
      const file = { filename: `${name}.png`, contentType: 'image/png', size: body.length };
      const { attachment } = await createAttachment(ctx, alice, chatId, file);
      storage.upload(pendingKey(chatId, attachment.id), 'image/png', body);
      expect(await codeOf(sendMessage(ctx, alice, chatId, { content: name, attachmentIds: [good, attachment.id] })), name).toBe('400 attachment_type_mismatch');
      // Nothing stored: no message, no final object for either id, the bad bytes deleted, the good one still usable.
      expect(repo.messageMap.size).toBe(0);
      expect(storage.objects.has(objectKey(chatId, attachment.id))).toBe(false);
      expect(storage.objects.has(objectKey(chatId, good))).toBe(false);
      expect(storage.objects.has(pendingKey(chatId, attachment.id))).toBe(false);
      expect(repo.attachmentMap.get(`${chatId}|${attachment.id}`)?.status).toBe('pending');
    }
    // A real JPEG declared as PNG is refused too; the good one then sends.
    const { attachment: jpegAsPng } = await createAttachment(ctx, alice, chatId, { filename: 'cow.png', contentType: 'image/png', size: 100 });
    storage.upload(pendingKey(chatId, jpegAsPng.id), 'image/png', sampleFile('image/jpeg', 100));
    expect(await codeOf(sendMessage(ctx, alice, chatId, { attachmentIds: [jpegAsPng.id] }))).toBe('400 attachment_type_mismatch');
    expect(await codeOf(sendMessage(ctx, alice, chatId, { attachmentIds: [good] }))).toBe('resolved');
  });

  it('consumes an attachment once when two messages race for it', async () => {
    const { ctx, repo, alice, chatId, upload } = await setup();
    const a = await upload();
    const results = await Promise.all([codeOf(sendMessage(ctx, alice, chatId, { attachmentIds: [a] })), codeOf(sendMessage(ctx, alice, chatId, { attachmentIds: [a] }))]);
    expect(results.sort()).toEqual(['400 attachment_not_uploaded', 'resolved']);
    // The loser had allocated a seq: it holds a deleted placeholder, so seqs stay contiguous (issue 20).
    const stored = [...repo.messageMap.values()].sort((x, y) => x.seq - y.seq);
    expect(stored.map((m) => m.seq)).toEqual([1, 2]);
    expect(stored.filter((m) => m.attachments?.some((x) => x.id === a))).toHaveLength(1);
    expect(stored.filter((m) => m.deletedAt && m.content === '' && !m.attachments)).toHaveLength(1);
  });

  it('drops attachments and their objects when the message is deleted', async () => {
    const { ctx, storage, alice, bob, chatId, upload } = await setup();
    const a = await upload();
    const { message } = await sendMessage(ctx, alice, chatId, { content: 'see photo', attachmentIds: [a] });
    await deleteMessage(ctx, alice, chatId, message.id);
    expect(storage.objects.has(objectKey(chatId, a))).toBe(false);
    const { messages } = await listMessages(ctx, bob, chatId, { limit: 10 });
    expect(messages[0].attachments).toEqual([]);
  });
});

describe('download disposition (issue 13 item 15)', () => {
  it('images inline, every other allowed type as a download, with an ASCII-only quoted filename', async () => {
    const { contentDisposition } = await import('../../functions/lib/storage');
    expect(contentDisposition('x-ray.png', 'image/png')).toBe('inline; filename="x-ray.png"');
    for (const type of ['application/pdf', 'audio/mpeg', 'video/mp4']) expect(contentDisposition('a.bin', type)).toMatch(/^attachment; /);
    expect(contentDisposition('bé"\r\n;x.pdf', 'application/pdf')).toBe(`attachment; filename="b_____x.pdf"; filename*=UTF-8''b%C3%A9%22%0D%0A%3Bx.pdf`);
  });

  it("adds RFC 6266 filename*=UTF-8'' for names that are not plain ASCII, with only attr-char left unencoded", async () => {
    const { contentDisposition } = await import('../../functions/lib/storage');
    expect(contentDisposition('Résumé 2026.pdf', 'application/pdf')).toBe(`attachment; filename="R_sum_ 2026.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%202026.pdf`);
    // RFC 5987 attr-char excludes ' * ( ) %: encoded in filename*, so only the syntax's own * and '' are raw.
    expect(contentDisposition("it's (v2)*100%.pdf", 'application/pdf')).toBe(`attachment; filename="it_s (v2)_100_.pdf"; filename*=UTF-8''it%27s%20%28v2%29%2A100%25.pdf`);
    expect(contentDisposition('猫.png', 'image/png')).toBe(`inline; filename="_.png"; filename*=UTF-8''%E7%8C%AB.png`);
    expect(decodeURIComponent(contentDisposition('Ünïcødé – ✓.pdf', 'application/pdf').split("UTF-8''")[1])).toBe('Ünïcødé – ✓.pdf');
  });
});
