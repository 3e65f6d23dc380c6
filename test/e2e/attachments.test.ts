/**
 * Attachments end to end (SPEC §4-§5, issue 5): reservation through the
 * client SDK, presigned upload to the local S3 server with plain `fetch`
 * (the storage, not the API), send, download, and every way an attachment
 * id can be refused.
 */
import { describe, expect, it } from 'vitest';
import type { CreateAttachmentResponse } from '../../sdk/src/index';
import { client, uniqueId, type TestUser } from '../support/api';
import { record } from '../support/sdk-events';
import { sampleFile } from '../support/sample-files';

async function pair(): Promise<[TestUser, TestUser, string]> {
  const [ada, bob] = await Promise.all(['ada', 'bob'].map((n) => client(uniqueId(n))));
  const { chat } = await ada.api.createChat({ type: 'direct', participantIds: [bob.id] });
  return [ada, bob, chat.id];
}

const reserve = (user: TestUser, chatId: string, bytes: Buffer) => user.api.createAttachment(chatId, { filename: 'field.png', contentType: 'image/png', size: bytes.length });

const put = (upload: CreateAttachmentResponse['upload'], bytes: Buffer, headers = upload.headers) =>
  fetch(upload.url, { method: 'PUT', headers, body: new Uint8Array(bytes) });

/** Reserves and uploads through the SDK: the attachment is ready to send. */
const uploaded = (user: TestUser, chatId: string, bytes: Buffer) => user.api.uploadAttachment(chatId, new Uint8Array(bytes), { filename: 'field.png', contentType: 'image/png' });

describe('attachments', () => {
  it('uploads with a presigned PUT, sends, and downloads the same bytes', async () => {
    const [ada, bob, chatId] = await pair();
    const bobSocket = await bob.socket();
    const bobEvents = record(bobSocket);
    try {
      const bytes = sampleFile('image/png', 64 * 1024);
      const { attachment, upload, expiresAt } = await reserve(ada, chatId, bytes);
      expect(upload.method).toBe('PUT');
      expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
      expect((await put(upload, bytes)).status).toBe(200);

      const sent = (await ada.api.sendMessage(chatId, { content: 'Look at this field', attachmentIds: [attachment.id] })).message;
      const [file] = sent.attachments;
      expect(file).toMatchObject({ id: attachment.id, filename: 'field.png', contentType: 'image/png', size: bytes.length, kind: 'image', url: expect.any(String) });
      expect(Date.parse(file!.urlExpiresAt)).toBeGreaterThan(Date.now());

      const event = await bobEvents.next('message.new', (e) => e.chatId === chatId);
      const download = await fetch(event.message.attachments[0]!.url);
      expect(download.status).toBe(200);
      expect(download.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

      const history = await bob.api.listMessages(chatId);
      const again = await fetch(history.messages[0]!.attachments[0]!.url);
      expect(Buffer.from(await again.arrayBuffer()).equals(bytes)).toBe(true);

      // A tampered URL fails as it would on AWS.
      const tampered = new URL(file!.url);
      tampered.searchParams.set('X-Amz-Expires', '3600');
      expect((await fetch(tampered)).status).toBe(403);

      // Deleting the message removes access to its attachments.
      await ada.api.deleteMessage(chatId, sent.id);
      expect((await fetch(file!.url)).status).toBeGreaterThanOrEqual(400);
      expect((await bob.api.listMessages(chatId)).messages[0]!.attachments).toEqual([]);
    } finally {
      bobSocket.close();
    }
  });

  it('binds the upload to its type and length', async () => {
    const [ada, , chatId] = await pair();
    const bytes = sampleFile('image/png', 1000);
    const { upload } = await reserve(ada, chatId, bytes);
    expect((await put(upload, bytes, { 'content-type': 'text/html' })).status).toBe(403);
    expect((await put(upload, Buffer.concat([bytes, bytes]))).status).toBe(403);
    expect((await put(upload, bytes)).status).toBe(200);
  });

  it('refuses bad types, oversize files, and ids that are not usable', async () => {
    const [ada, bob, chatId] = await pair();
    const carol = await client(uniqueId('carol'));
    const otherChat = (await ada.api.createChat({ type: 'direct', participantIds: [carol.id] })).chat.id;

    await expect(ada.api.createAttachment(chatId, { filename: 'a.html', contentType: 'text/html', size: 10 })).rejects.toMatchObject({ status: 400, code: 'bad_request' });
    await expect(ada.api.createAttachment(chatId, { filename: 'a.mp4', contentType: 'video/mp4', size: 10 * 1024 * 1024 + 1 })).rejects.toMatchObject({ status: 413, code: 'payload_too_large' });
    await expect(carol.api.createAttachment(chatId, { filename: 'a.png', contentType: 'image/png', size: 10 })).rejects.toMatchObject({ status: 404, code: 'not_found' });

    const bytes = sampleFile('image/png', 100);
    const neverUploaded = (await reserve(ada, chatId, bytes)).attachment.id;
    const bobs = await uploaded(bob, chatId, bytes);
    const elsewhere = await uploaded(ada, otherChat, bytes);
    const used = await uploaded(ada, chatId, bytes);
    await ada.api.sendMessage(chatId, { attachmentIds: [used.id] });

    for (const id of [neverUploaded, bobs.id, elsewhere.id, used.id, 'made-up']) {
      await expect(ada.api.sendMessage(chatId, { content: 'x', attachmentIds: [id] }), id).rejects.toMatchObject({ status: 400, code: 'attachment_not_uploaded' });
    }
    await expect(ada.api.sendMessage(chatId, { content: 'x', attachmentIds: ['1', '2', '3', '4', '5', '6'] })).rejects.toMatchObject({ status: 400, code: 'bad_request' });
  });

  it('refuses an HTML page, an SVG or a script uploaded as image/png, and stores nothing (issue 13 item 15)', async () => {
    const [ada, bob, chatId] = await pair();
    const good = await uploaded(ada, chatId, sampleFile('image/png', 200));
    for (const body of ['<!doctype html><script>fetch("/v1/me")</script>', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', 'alert(document.cookie)']) {
      const bytes = Buffer.from(body);
      // The storage accepts the PUT (its signature binds type and length, not content); the send refuses the bytes.
      const { attachment, upload } = await reserve(ada, chatId, bytes);
      expect((await put(upload, bytes)).status).toBe(200);
      await expect(ada.api.sendMessage(chatId, { content: 'look', attachmentIds: [good.id, attachment.id] }), body).rejects.toMatchObject({ status: 400, code: 'attachment_type_mismatch' });
      // The refused bytes are gone, so the id stays unusable.
      await expect(ada.api.sendMessage(chatId, { attachmentIds: [attachment.id] })).rejects.toMatchObject({ status: 400, code: 'attachment_not_uploaded' });
    }
    expect((await bob.api.listMessages(chatId)).messages).toEqual([]);
    // The good attachment was not consumed by the refused sends.
    const sent = (await ada.api.sendMessage(chatId, { attachmentIds: [good.id] })).message;
    expect(sent.attachments.map((a) => a.id)).toEqual([good.id]);
  });

  it("downloads a non-ASCII filename with RFC 6266 filename*=UTF-8'' and the validated type forced on the answer (issue 13 item 15)", async () => {
    const [ada, bob, chatId] = await pair();
    const name = "Résumé (final) – it's 100%.pdf";
    const pdf = sampleFile('application/pdf', 500);
    const file = await ada.api.uploadAttachment(chatId, new Uint8Array(pdf), { filename: name, contentType: 'application/pdf' });
    const photo = await ada.api.uploadAttachment(chatId, new Uint8Array(sampleFile('image/png', 300)), { filename: 'plain.png', contentType: 'image/png' });
    await ada.api.sendMessage(chatId, { content: 'cv', attachmentIds: [file.id, photo.id] });
    const [doc, image] = (await bob.api.listMessages(chatId)).messages[0]!.attachments;
    expect(doc!.filename).toBe(name);
    for (const url of [doc!.url, image!.url]) expect(new URL(url).searchParams.get('response-content-type')).toMatch(/^(application\/pdf|image\/png)$/);

    const download = await fetch(doc!.url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    const disposition = download.headers.get('content-disposition')!;
    expect(disposition).toBe(`attachment; filename="R_sum_ (final) _ it_s 100_.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%28final%29%20%E2%80%93%20it%27s%20100%25.pdf`);
    expect(decodeURIComponent(/filename\*=UTF-8''(.+)$/.exec(disposition)![1])).toBe(name);
    expect(Buffer.from(await download.arrayBuffer()).equals(pdf)).toBe(true);

    const inline = await fetch(image!.url);
    expect(inline.headers.get('content-type')).toBe('image/png');
    expect(inline.headers.get('content-disposition')).toBe('inline; filename="plain.png"');
  });
});
