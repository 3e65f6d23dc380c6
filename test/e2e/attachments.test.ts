/**
 * Attachments end to end (SPEC §4-§5, issue 5): presigned upload to the
 * local S3 server with plain `fetch`, send, download, and every way an
 * attachment id can be refused.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { client, uniqueId, type TestUser } from '../support/api';

async function pair(): Promise<[TestUser, TestUser, string]> {
  const [ada, bob] = await Promise.all(['ada', 'bob'].map((n) => client(uniqueId(n))));
  const res = await ada.post('/v1/chats', { type: 'direct', participantIds: [bob.id] });
  return [ada, bob, res.body.chat.id];
}

async function reserve(user: TestUser, chatId: string, bytes: Buffer, contentType = 'image/png', filename = 'field.png') {
  const res = await user.post(`/v1/chats/${chatId}/attachments`, { filename, contentType, size: bytes.length });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { attachment: { id: string }; upload: { method: string; url: string; headers: Record<string, string> }; expiresAt: string };
}

const put = (upload: { url: string; headers: Record<string, string> }, bytes: Buffer, headers = upload.headers) =>
  fetch(upload.url, { method: 'PUT', headers, body: new Uint8Array(bytes) });

describe('attachments', () => {
  it('uploads with a presigned PUT, sends, and downloads the same bytes', async () => {
    const [ada, bob, chatId] = await pair();
    const bobWs = await bob.ws();
    const bytes = randomBytes(64 * 1024);
    const { attachment, upload, expiresAt } = await reserve(ada, chatId, bytes);
    expect(upload.method).toBe('PUT');
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    expect((await put(upload, bytes)).status).toBe(200);

    const sent = await ada.post(`/v1/chats/${chatId}/messages`, { content: 'Look at this field', attachmentIds: [attachment.id] });
    expect(sent.status).toBe(201);
    const [file] = sent.body.message.attachments;
    expect(file).toMatchObject({ id: attachment.id, filename: 'field.png', contentType: 'image/png', size: bytes.length, kind: 'image', url: expect.any(String) });
    expect(Date.parse(file.urlExpiresAt)).toBeGreaterThan(Date.now());

    const event = await bobWs.next((f: any) => f?.type === 'message.new' && f.chatId === chatId);
    const download = await fetch(event.message.attachments[0].url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

    const history = await bob.get(`/v1/chats/${chatId}/messages`);
    const again = await fetch(history.body.messages[0].attachments[0].url);
    expect(Buffer.from(await again.arrayBuffer()).equals(bytes)).toBe(true);

    // A tampered URL fails as it would on AWS.
    const tampered = new URL(file.url);
    tampered.searchParams.set('X-Amz-Expires', '3600');
    expect((await fetch(tampered)).status).toBe(403);

    // Deleting the message removes access to its attachments.
    await ada.del(`/v1/chats/${chatId}/messages/${sent.body.message.id}`);
    expect((await fetch(file.url)).status).toBeGreaterThanOrEqual(400);
    expect((await bob.get(`/v1/chats/${chatId}/messages`)).body.messages[0].attachments).toEqual([]);
    await bobWs.close();
  });

  it('binds the upload to its type and length', async () => {
    const [ada, , chatId] = await pair();
    const bytes = randomBytes(1000);
    const { upload } = await reserve(ada, chatId, bytes);
    expect((await put(upload, bytes, { 'content-type': 'text/html' })).status).toBe(403);
    expect((await put(upload, Buffer.concat([bytes, bytes]))).status).toBe(403);
    expect((await put(upload, bytes)).status).toBe(200);
  });

  it('refuses bad types, oversize files, and ids that are not usable', async () => {
    const [ada, bob, chatId] = await pair();
    const carol = await client(uniqueId('carol'));
    const otherChat = (await ada.post('/v1/chats', { type: 'direct', participantIds: [carol.id] })).body.chat.id;

    expect((await ada.post(`/v1/chats/${chatId}/attachments`, { filename: 'a.html', contentType: 'text/html', size: 10 })).status).toBe(400);
    expect((await ada.post(`/v1/chats/${chatId}/attachments`, { filename: 'a.mp4', contentType: 'video/mp4', size: 10 * 1024 * 1024 + 1 })).status).toBe(413);
    expect((await carol.post(`/v1/chats/${chatId}/attachments`, { filename: 'a.png', contentType: 'image/png', size: 10 })).status).toBe(404);

    const bytes = randomBytes(100);
    const neverUploaded = (await reserve(ada, chatId, bytes)).attachment.id;
    const bobs = await reserve(bob, chatId, bytes);
    await put(bobs.upload, bytes);
    const elsewhere = await reserve(ada, otherChat, bytes);
    await put(elsewhere.upload, bytes);
    const used = await reserve(ada, chatId, bytes);
    await put(used.upload, bytes);
    expect((await ada.post(`/v1/chats/${chatId}/messages`, { attachmentIds: [used.attachment.id] })).status).toBe(201);

    for (const id of [neverUploaded, bobs.attachment.id, elsewhere.attachment.id, used.attachment.id, 'made-up']) {
      const res = await ada.post(`/v1/chats/${chatId}/messages`, { content: 'x', attachmentIds: [id] });
      expect(res.status, id).toBe(400);
      expect(res.body.code, id).toBe('attachment_not_uploaded');
    }
    const six = await ada.post(`/v1/chats/${chatId}/messages`, { content: 'x', attachmentIds: ['1', '2', '3', '4', '5', '6'] });
    expect(six.status).toBe(400);
    expect(six.body.code).toBe('bad_request');
  });
});
