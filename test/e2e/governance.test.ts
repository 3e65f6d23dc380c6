/**
 * Erasure and export end to end (SPEC §10): through the local gateway, with
 * the governance worker running from the local SQS queue, real WebSocket
 * clients and the local S3 server.
 */
import { describe, expect, inject, it } from 'vitest';
import { call, client, uniqueId, type TestUser } from '../support/api';
import { sampleFile } from '../support/sample-files';
import { connectExpectRefusal } from '../support/ws-client';

const stack = inject('stack');
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read();
    if (done(value)) return value;
    await sleep(50);
  }
  throw new Error(`${what} did not happen`);
}

async function setup() {
  const [patient, doctor, nurse, stranger] = await Promise.all(['patient', 'doctor', 'nurse', 'stranger'].map((n) => client(uniqueId(n))));
  const admin = await client(uniqueId('admin'), { roles: ['admin'] });
  return { patient, doctor, nurse, stranger, admin };
}

describe('erasure', () => {
  it('DELETE /v1/me: 202, the same erasure again, tokens refused, and the worker erases messages, reactions and memberships with events', async () => {
    const { patient, doctor, nurse, stranger, admin } = await setup();
    const { chat: direct } = await doctor.api.createChat({ type: 'direct', participantIds: [patient.id] });
    const { chat: group } = await patient.api.createChat({ type: 'group', participantIds: [doctor.id, nurse.id], title: 'Care' });
    const mine = await patient.post(`/v1/chats/${direct.id}/messages`, { content: 'my tooth hurts' });
    const theirs = await doctor.post(`/v1/chats/${group.id}/messages`, { content: 'see you at 3' });
    await patient.put(`/v1/chats/${group.id}/messages/${theirs.body.message.id}/reactions/like`);
    await patient.post(`/v1/chats/${group.id}/messages`, { content: 'thanks' });
    // Blocks both ways and a report the patient filed: the erasure removes them too.
    expect((await patient.put(`/v1/me/blocks/${stranger.id}`)).status).toBe(204);
    expect((await nurse.put(`/v1/me/blocks/${patient.id}`)).status).toBe(204);
    const filed = await patient.post(`/v1/chats/${group.id}/messages/${theirs.body.message.id}/reports`, { reason: 'other' });
    expect(filed.status).toBe(201);
    const doctorWs = await doctor.ws();
    const patientWs = await patient.ws();
    try {
      const first = await patient.del('/v1/me');
      expect(first.status).toBe(202);
      expect(first.body.erasure).toMatchObject({ id: expect.any(String), userId: patient.id });
      const erasureId = first.body.erasure.id as string;
      const again = await admin.del(`/v1/users/${patient.id}`);
      expect(again.status).toBe(202);
      expect(again.body.erasure.id).toBe(erasureId);

      // The erased user's token opens nothing but their erasure's progress.
      expect((await patient.get('/v1/me')).status).toBe(401);
      expect((await patient.get('/v1/chats')).status).toBe(401);
      expect(await connectExpectRefusal(`${stack.wsUrl}?token=${patient.token}`)).toBe(401);
      expect((await patient.get(`/v1/erasures/${erasureId}`)).status).toBe(200);
      // Attackers: another user's erasure id is a 404, as a missing one.
      expect((await stranger.get(`/v1/erasures/${erasureId}`)).status).toBe(404);
      expect((await stranger.del(`/v1/users/${patient.id}`)).status).toBe(403);

      const done = await until(() => admin.get(`/v1/erasures/${erasureId}`), (r) => r.body.erasure?.status === 'done', 'the erasure');
      expect(done.body.erasure).toMatchObject({ status: 'done', messagesErased: 2, chatsLeft: 2, startedAt: expect.any(String), finishedAt: expect.any(String) });

      // The doctor saw it happen: deletes, the reaction going, the patient leaving.
      await doctorWs.next((f) => f.type === 'message.deleted' && f.messageId === mine.body.message.id);
      await doctorWs.next((f) => f.type === 'reaction.updated' && f.messageId === theirs.body.message.id && !f.reactions.like);
      await doctorWs.next((f) => f.type === 'participant.removed' && f.chatId === group.id && f.userId === patient.id);
      // The patient's open connection was closed.
      await patientWs.closed;

      const history = await doctor.get(`/v1/chats/${direct.id}/messages`);
      expect(history.body.messages.find((m: any) => m.id === mine.body.message.id)).toMatchObject({ content: '', deletedAt: expect.any(String) });
      const profile = await doctor.get(`/v1/users/${patient.id}`);
      expect(profile.body.user).toMatchObject({ id: patient.id, name: 'Deleted user', deleted: true });
      // Ownership of the group passed on, as when the owner leaves.
      const care = await doctor.get(`/v1/chats/${group.id}`);
      expect(care.body.chat.participants.map((p: any) => p.userId).sort()).toEqual([doctor.id, nurse.id].sort());
      expect(care.body.chat.participants.some((p: any) => p.role === 'owner')).toBe(true);
      expect((await admin.get(`/v1/chats/${direct.id}`)).body.chat.lastMessage).toMatchObject({ id: mine.body.message.id, content: '' });
      expect((await nurse.get('/v1/me/blocks')).body.users).toEqual([]);
      // The report the patient filed is gone (404 as for an unknown report).
      expect((await admin.patch(`/v1/moderation/reports/${filed.body.report.id}`, { status: 'dismissed' })).status).toBe(404);
    } finally {
      await doctorWs.close();
    }
  });
});

describe('erasure of a reported author', () => {
  it('reports of their messages stay in the moderation queue with status and resolution, but with no trace of their content or attachments', async () => {
    const [ada, bob, cyd, dan] = await Promise.all(['ada', 'bob', 'cyd', 'dan'].map((n) => client(uniqueId(n))));
    const admin = await client(uniqueId('admin'), { roles: ['admin'] });
    const { chat } = await ada.api.createChat({ type: 'group', participantIds: [bob.id, cyd.id, dan.id], title: 'Clinic' });
    const filename = `ada-biopsy-${uniqueId('f')}.png`;
    const attachment = await ada.api.uploadAttachment(chat.id, new Uint8Array(sampleFile('image/png', 1024)), { filename, contentType: 'image/png' });
    const secret = `biopsy result ${uniqueId('s')}`;
    const adas = (await ada.api.sendMessage(chat.id, { content: secret, attachmentIds: [attachment.id], metadata: { ward: 'oncology' } })).message;
    const cyds = (await cyd.api.sendMessage(chat.id, { content: 'cyd says hi' })).message;
    const bobsReport = await bob.post(`/v1/chats/${chat.id}/messages/${adas.id}/reports`, { reason: 'inappropriate', details: 'oversharing' });
    expect(bobsReport.status).toBe(201);
    expect(JSON.stringify(bobsReport.body.report.message)).toContain(filename);
    const dansReport = await dan.post(`/v1/chats/${chat.id}/messages/${adas.id}/reports`, { reason: 'spam' });
    expect((await admin.patch(`/v1/moderation/reports/${dansReport.body.report.id}`, { status: 'dismissed' })).status).toBe(200);
    // A report of a third user's message, by someone else: left as it was.
    const aboutCyd = await dan.post(`/v1/chats/${chat.id}/messages/${cyds.id}/reports`, { reason: 'other' });
    const queue = async () => {
      const reports: any[] = [];
      let cursor: string | null = null;
      do {
        const page = await admin.get(`/v1/moderation/reports?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(page.status).toBe(200);
        reports.push(...page.body.reports);
        cursor = page.body.nextCursor;
      } while (cursor);
      return new Map(reports.map((r) => [r.id as string, r]));
    };
    const cydBefore = (await queue()).get(aboutCyd.body.report.id);

    const erased = await admin.del(`/v1/users/${ada.id}`);
    expect(erased.status).toBe(202);
    await until(() => admin.get(`/v1/erasures/${erased.body.erasure.id}`), (r) => r.body.erasure?.status === 'done', 'the erasure');

    const after = await queue();
    const itself = (await bob.get(`/v1/chats/${chat.id}/messages`)).body.messages.find((m: any) => m.id === adas.id);
    expect(itself).toMatchObject({ content: '', attachments: [], deletedAt: expect.any(String) });
    const { readBy: _readBy, ...deletedForm } = itself;
    expect(after.get(bobsReport.body.report.id)).toEqual({
      ...bobsReport.body.report,
      message: { ...deletedForm, readBy: bobsReport.body.report.message.readBy },
    });
    expect(after.get(dansReport.body.report.id)).toMatchObject({ status: 'dismissed', resolvedBy: admin.id, action: 'none', reporterId: dan.id, message: { content: '', attachments: [] } });
    const adasReports = JSON.stringify([after.get(bobsReport.body.report.id), after.get(dansReport.body.report.id)]);
    for (const trace of [secret, filename, 'oncology', attachment.id]) expect(adasReports).not.toContain(trace);
    expect(after.get(aboutCyd.body.report.id)).toEqual(cydBefore);
    expect((await admin.get(`/v1/users/${ada.id}`)).body.user).toMatchObject({ id: ada.id, name: 'Deleted user', deleted: true });

    // Asking again answers the finished erasure and changes nothing more.
    const again = await admin.del(`/v1/users/${ada.id}`);
    expect(again.body.erasure).toMatchObject({ id: erased.body.erasure.id, status: 'done' });
    await sleep(300);
    expect(await queue()).toEqual(after);
  });
});

describe('export', () => {
  it('POST /v1/me/exports: the worker writes one JSON document, served by a presigned GET to its requester and admins only', async () => {
    const { patient, doctor, stranger, admin } = await setup();
    const { chat } = await patient.api.createChat({ type: 'group', participantIds: [doctor.id], title: 'Clinic' });
    const sent = await patient.post(`/v1/chats/${chat.id}/messages`, { content: 'my records please', metadata: { ref: 7 } });
    const reply = await doctor.post(`/v1/chats/${chat.id}/messages`, { content: 'on their way' });
    await patient.put(`/v1/chats/${chat.id}/messages/${reply.body.message.id}/reactions/like`);
    await patient.post(`/v1/chats/${chat.id}/read`, {});
    const pushToken = 'f'.repeat(140);
    expect((await patient.put('/v1/me/devices/phone', { platform: 'fcm', token: pushToken })).status).toBe(200);
    expect((await patient.put(`/v1/me/blocks/${stranger.id}`)).status).toBe(204);
    const report = await patient.post(`/v1/chats/${chat.id}/messages/${reply.body.message.id}/reports`, { reason: 'spam', details: 'not really' });
    expect(report.status).toBe(201);

    const requested = await patient.post('/v1/me/exports');
    expect(requested.status).toBe(202);
    expect(requested.body.export).toMatchObject({ id: expect.any(String), status: 'pending', userId: patient.id });
    const exportId = requested.body.export.id as string;
    expect((await stranger.get(`/v1/exports/${exportId}`)).status).toBe(404);

    const done = await until(() => patient.get(`/v1/exports/${exportId}`), (r) => r.body.export?.status === 'done', 'the export');
    expect(done.body.export).toMatchObject({ status: 'done', url: expect.any(String), urlExpiresAt: expect.any(String), bytes: expect.any(Number) });
    expect((await admin.get(`/v1/exports/${exportId}`)).status).toBe(200);

    const document = await (await fetch(done.body.export.url)).json();
    expect(document).toMatchObject({ format: 'chat-export/1', user: { id: patient.id } });
    expect(document.devices).toEqual([{ deviceId: 'phone', platform: 'fcm', registeredAt: expect.any(String) }]);
    expect(JSON.stringify(document)).not.toContain(pushToken);
    expect(document.blocks).toEqual([{ userId: stranger.id, blockedAt: expect.any(String) }]);
    expect(document.reports).toEqual([
      { id: report.body.report.id, chatId: chat.id, messageId: reply.body.message.id, reason: 'spam', details: 'not really', status: 'open', createdAt: expect.any(String) },
    ]);
    expect(document.chats).toEqual([expect.objectContaining({ id: chat.id, role: 'owner', lastReadSeq: 2 })]);
    expect(document.messages).toEqual([expect.objectContaining({ id: sent.body.message.id, content: 'my records please', metadata: { ref: 7 } })]);
    expect(document.reactions).toEqual([{ chatId: chat.id, messageId: reply.body.message.id, seq: 2, reaction: 'like' }]);
    // The doctor's text is not the patient's data.
    expect(JSON.stringify(document)).not.toContain('on their way');

    // An admin exports a user; the user cannot read the admin's export of them.
    const byAdmin = await admin.post(`/v1/users/${doctor.id}/exports`);
    expect(byAdmin.status).toBe(202);
    expect((await doctor.get(`/v1/exports/${byAdmin.body.export.id}`)).status).toBe(404);
    expect((await patient.post(`/v1/users/${doctor.id}/exports`)).status).toBe(403);
    await call(stack, 'GET', '/health');
  });
});
