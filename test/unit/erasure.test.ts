/**
 * Erasure (SPEC §10) on the in-memory fakes: what the worker erases, the
 * idempotent request, the refused tokens, and resuming after a crash.
 */
import { describe, expect, it } from 'vitest';
import { createChat, getStats } from '../../functions/domain/chats';
import { blockUser, listBlocks } from '../../functions/domain/blocks';
import { registerDevice } from '../../functions/domain/devices';
import { ERASURE_BATCH, getErasure, requestErasure, runErasure } from '../../functions/domain/erasure';
import { addParticipants, removeParticipant } from '../../functions/domain/groups';
import { setReaction } from '../../functions/domain/reactions';
import { listMessages, sendMessage } from '../../functions/domain/messages';
import { listReports, reportMessage, resolveReport } from '../../functions/domain/reports';
import { openSupportChat } from '../../functions/domain/support';
import { recordCaller } from '../../functions/domain/users';
import { codeOf } from '../support/errors';
import { memoryContext, user } from '../support/memory';

async function world() {
  const m = memoryContext({ limits: { messagesPerMinute: 10_000, writesPerMinute: 10_000 } });
  const root = await user(m.repo, 'root', ['admin']);
  const patient = await user(m.repo, 'patient');
  const nurse = await user(m.repo, 'nurse');
  const doctor = await user(m.repo, 'doctor');
  await user(m.repo, 'agent', ['support']);
  return { ...m, root, patient, nurse, doctor };
}

describe('requestErasure', () => {
  it('answers one pending erasure per user, erases the profile at once and refuses the tokens but for GET /v1/erasures', async () => {
    const { ctx, repo, jobs, audit, root, patient, nurse } = await world();
    const first = await requestErasure(ctx, patient, patient.userId);
    expect(first).toMatchObject({ created: true, erasure: { userId: 'patient', status: 'pending', messagesErased: 0, chatsLeft: 0 } });
    const again = await requestErasure(ctx, root, patient.userId);
    expect(again).toMatchObject({ created: false, erasure: { id: first.erasure.id } });
    expect(await repo.users.get('patient')).toMatchObject({ id: 'patient', name: 'Deleted user', deleted: true });
    expect(jobs.sent).toEqual([
      { kind: 'erasure', erasureId: first.erasure.id, userId: 'patient', part: 0 },
      { kind: 'erasure', erasureId: first.erasure.id, userId: 'patient', part: 0 },
    ]);
    expect(audit.of('erasure.requested')).toMatchObject([{ actorId: 'patient', target: { type: 'erasure', id: first.erasure.id }, details: { userId: 'patient' } }]);

    expect(await codeOf(recordCaller(ctx, patient))).toBe('401 unauthorized');
    await expect(recordCaller(ctx, patient, { allowErased: true })).resolves.toEqual(patient);
    // A later request with the token's name never brings the profile back.
    expect((await repo.users.get('patient'))?.name).toBe('Deleted user');
    expect(await getErasure(ctx, patient, first.erasure.id)).toMatchObject({ id: first.erasure.id });
    expect(await getErasure(ctx, root, first.erasure.id)).toMatchObject({ id: first.erasure.id });
    expect(await codeOf(getErasure(ctx, nurse, first.erasure.id))).toBe('404 not_found');
    expect(await codeOf(requestErasure(ctx, root, 'nobody'))).toBe('404 not_found');
  });
});

describe('runErasure', () => {
  it('erases messages, attachments, reactions, memberships, support chats, connections and presence, with the events', async () => {
    const { ctx, repo, notifier, storage, audit, root, patient, nurse, doctor } = await world();
    const { chat: group } = await createChat(ctx, patient, { type: 'group', participantIds: ['nurse', 'doctor'], title: 'Care team' });
    await addParticipants(ctx, patient, group.id, { userIds: ['root'], role: 'admin' });
    const mine = await sendMessage(ctx, patient, group.id, { content: 'my tooth hurts', metadata: { x: 1 } });
    const theirs = await sendMessage(ctx, nurse, group.id, { content: 'come in at 3' });
    await setReaction(ctx, patient, group.id, theirs.message.id, 'like', true);
    const { chat: direct } = await createChat(ctx, doctor, { type: 'direct', participantIds: ['patient'] });
    const last = await sendMessage(ctx, patient, direct.id, { content: 'thanks doc' });
    const support = await openSupportChat(ctx, patient, { initialMessage: 'billing question' });
    // A chat the patient left: their message there is erased too.
    const { chat: left } = await createChat(ctx, nurse, { type: 'group', participantIds: ['patient'], title: 'Old' });
    const old = await sendMessage(ctx, patient, left.id, { content: 'bye' });
    await removeParticipant(ctx, patient, left.id, 'patient');
    // An attachment object on one of their messages.
    const key = `attachments/${group.id}/a1`;
    storage.upload(key, 'image/png', 10);
    repo.messageMap.get(`${group.id}|${mine.message.seq}`)!.attachments = [{ id: 'a1', filename: 'x.png', contentType: 'image/png', size: 10, kind: 'image', key }];
    await repo.connections.addToPresence('patient', 'c1', 9_999_999_999);

    const { erasure } = await requestErasure(ctx, root, 'patient');
    notifier.sent.length = 0;
    expect(await runErasure(ctx, erasure.id)).toBe('done');

    const done = await getErasure(ctx, root, erasure.id);
    expect(done).toMatchObject({ status: 'done', messagesErased: 4, chatsLeft: 3, finishedAt: expect.any(String) });
    for (const [chatId, seq] of [[group.id, mine.message.seq], [direct.id, last.message.seq], [left.id, old.message.seq]] as const) {
      expect(repo.messageMap.get(`${chatId}|${seq}`)).toMatchObject({ content: '', deletedAt: expect.any(String) });
      expect(repo.messageMap.get(`${chatId}|${seq}`)?.metadata).toBeUndefined();
    }
    expect(storage.objects.has(key)).toBe(false);
    expect(repo.messageMap.get(`${group.id}|${theirs.message.seq}`)?.reactions).toEqual({});
    expect(await repo.memberships.listByUser('patient')).toEqual([]);
    expect(await repo.memberships.listFormer('patient')).toEqual([]);
    // Ownership passed to the group admin, as when the owner leaves.
    expect((await repo.memberships.getMany(group.id, ['root']))[0].role).toBe('owner');
    expect((await repo.chats.getMany([support.chat.id]))[0].status).toBe('closed');
    // The direct chat's preview no longer shows the text.
    expect((await repo.chats.getMany([direct.id]))[0].lastMessage).toMatchObject({ id: last.message.id, content: '' });
    expect(notifier.closed).toEqual(['c1']);
    expect(repo.presenceMap.has('patient')).toBe(false);

    const deletedIds = notifier.ofType('message.deleted').map((s) => (s.event as { messageId: string }).messageId);
    expect(deletedIds).toHaveLength(4);
    expect(deletedIds).toEqual(expect.arrayContaining([mine.message.id, last.message.id, old.message.id]));
    expect(notifier.ofType('participant.removed').map((s) => (s.event as { chatId: string }).chatId).sort()).toEqual([group.id, direct.id, support.chat.id].sort());
    expect(notifier.ofType('reaction.updated')).toHaveLength(1);
    expect(audit.of('erasure.completed')).toMatchObject([{ actorId: 'system', details: { userId: 'patient', messagesErased: 4, chatsLeft: 3 } }]);
    // Running a finished erasure again changes nothing.
    notifier.sent.length = 0;
    expect(await runErasure(ctx, erasure.id)).toBe('done');
    expect(notifier.sent).toEqual([]);
  });

  it('deletes the erased user\'s devices with their SNS endpoints, and their mentions of others stop counting', async () => {
    const { ctx, repo, endpoints, patient, nurse } = await world();
    await registerDevice(ctx, patient, 'phone', { platform: 'apns', token: 'a'.repeat(64) });
    await repo.devices.setEndpoint('patient', 'phone', 'a'.repeat(64), 'arn:endpoint/patient/phone');
    const { chat } = await createChat(ctx, patient, { type: 'group', participantIds: ['nurse'], title: 'Care' });
    await sendMessage(ctx, patient, chat.id, { content: '@nurse help', mentions: ['nurse'] });
    expect((await getStats(ctx, nurse)).unreadMentions).toBe(1);
    const { erasure } = await requestErasure(ctx, patient, patient.userId);
    await runErasure(ctx, erasure.id);
    expect(await repo.devices.list('patient')).toEqual([]);
    expect(endpoints.deleted).toEqual(['arn:endpoint/patient/phone']);
    expect((await getStats(ctx, nurse)).unreadMentions).toBe(0);
  });

  it('lifts every block in both directions and deletes the reports the user filed, not those against them', async () => {
    const { ctx, repo, patient, nurse, doctor } = await world();
    await blockUser(ctx, patient, 'nurse');
    await blockUser(ctx, doctor, 'patient');
    await blockUser(ctx, nurse, 'doctor');
    const { chat } = await createChat(ctx, patient, { type: 'group', participantIds: ['nurse', 'doctor'], title: 'Care' });
    const theirs = await sendMessage(ctx, doctor, chat.id, { content: 'rude' });
    const mine = await sendMessage(ctx, patient, chat.id, { content: 'also rude' });
    const filed = await reportMessage(ctx, patient, chat.id, theirs.message.id, { reason: 'harassment' });
    const against = await reportMessage(ctx, nurse, chat.id, mine.message.id, { reason: 'spam' });
    expect(await repo.reports.listByReporter('patient')).toMatchObject([{ id: filed.report.id }]);

    const { erasure } = await requestErasure(ctx, patient, patient.userId);
    // A crash after the first unblock: the resumed run finishes the step.
    const realUnblock = repo.moderation.unblock;
    let unblocks = 0;
    repo.moderation.unblock = async (...args) => {
      if (++unblocks > 1) throw new Error('worker killed');
      return realUnblock.apply(repo.moderation, args);
    };
    await expect(runErasure(ctx, erasure.id)).rejects.toThrow('worker killed');
    expect((await repo.erasures.get(erasure.id))?.checkpoint.step).toBe('blocks');
    repo.moderation.unblock = realUnblock;
    expect(await runErasure(ctx, erasure.id)).toBe('done');

    expect(await repo.moderation.state('patient')).toEqual({ userId: 'patient', blockedBy: [], blocking: [] });
    expect(await repo.moderation.state('nurse')).toMatchObject({ blockedBy: [], blocking: ['doctor'] });
    expect(await repo.moderation.state('doctor')).toMatchObject({ blockedBy: ['nurse'], blocking: [] });
    expect((await listBlocks(ctx, doctor)).users).toEqual([]);
    expect((await listBlocks(ctx, nurse)).users.map((u) => u.id)).toEqual(['doctor']);
    expect(await repo.reports.get(filed.report.id)).toBeUndefined();
    expect(await repo.reports.listByReporter('patient')).toEqual([]);
    expect(await repo.reports.get(against.report.id)).toMatchObject({ reporterId: 'nurse', status: 'open' });
  });

  it('empties the snapshot of every report of the user\'s messages to the deleted form, keeping the report; resumable, and a re-run writes nothing', async () => {
    const { ctx, repo, storage, root, patient, nurse, doctor } = await world();
    const { chat } = await createChat(ctx, patient, { type: 'group', participantIds: ['nurse', 'doctor'], title: 'Care' });
    const mine = await sendMessage(ctx, patient, chat.id, { content: 'my HIV test came back', metadata: { lab: 'x' } });
    const key = `attachments/${chat.id}/a1`;
    storage.upload(key, 'image/png', 10);
    repo.messageMap.get(`${chat.id}|${mine.message.seq}`)!.attachments = [{ id: 'a1', filename: 'lab-results-ada.png', contentType: 'image/png', size: 10, kind: 'image', key }];
    const reply = await sendMessage(ctx, patient, chat.id, { content: 'and my CD4 count', replyTo: mine.message.id });
    const doctors = await sendMessage(ctx, doctor, chat.id, { content: 'doctor text stays' });
    const byNurse = await reportMessage(ctx, nurse, chat.id, mine.message.id, { reason: 'inappropriate', details: 'oversharing' });
    const byDoctor = await reportMessage(ctx, doctor, chat.id, reply.message.id, { reason: 'spam' });
    const ofDoctor = await reportMessage(ctx, nurse, chat.id, doctors.message.id, { reason: 'other' });
    expect(JSON.stringify(byNurse.report.message)).toContain('lab-results-ada.png');
    // Closed with a delete before the erasure: the snapshot's deletedAt is that delete's time, as the message's.
    await resolveReport(ctx, root, byDoctor.report.id, { status: 'resolved', action: 'delete_message' });
    const deletedByAdmin = repo.messageMap.get(`${chat.id}|${reply.message.seq}`)!.deletedAt!;
    const untouched = await repo.reports.get(ofDoctor.report.id);

    const { erasure } = await requestErasure(ctx, root, 'patient');
    // A crash after the first snapshot: the resumed run finishes the step.
    const realReplace = repo.reports.replaceSnapshot;
    let replaces = 0;
    repo.reports.replaceSnapshot = async (...args) => {
      if (++replaces > 1) throw new Error('worker killed');
      return realReplace.apply(repo.reports, args);
    };
    await expect(runErasure(ctx, erasure.id)).rejects.toThrow('worker killed');
    expect((await repo.erasures.get(erasure.id))?.checkpoint.step).toBe('reported');
    repo.reports.replaceSnapshot = realReplace;
    expect(await runErasure(ctx, erasure.id)).toBe('done');

    const live = (await listMessages(ctx, nurse, chat.id, { limit: 50 })).messages;
    const liveOf = (id: string) => live.find((m) => m.id === id)!;
    const queue = (await listReports(ctx, root, { limit: 50 })).reports;
    const nurseReport = queue.find((r) => r.id === byNurse.report.id)!;
    expect(nurseReport).toEqual({
      id: byNurse.report.id,
      chatId: chat.id,
      messageId: mine.message.id,
      reporterId: 'nurse',
      reason: 'inappropriate',
      details: 'oversharing',
      status: 'open',
      createdAt: byNurse.report.createdAt,
      message: {
        id: mine.message.id,
        chatId: chat.id,
        seq: mine.message.seq,
        senderId: 'patient',
        type: 'text',
        content: '',
        attachments: [],
        reactions: {},
        mentions: [],
        createdAt: mine.message.createdAt,
        deletedAt: liveOf(mine.message.id).deletedAt,
        readBy: byNurse.report.message.readBy,
      },
    });
    // The same deleted form as the message itself shows (but `readBy`, which stays as reported).
    const { readBy: _r1, ...snapshot } = nurseReport.message;
    const { readBy: _r2, ...itself } = liveOf(mine.message.id);
    expect(JSON.parse(JSON.stringify(itself))).toEqual(snapshot);
    const doctorReport = queue.find((r) => r.id === byDoctor.report.id)!;
    expect(doctorReport).toMatchObject({ status: 'resolved', action: 'delete_message', resolvedBy: 'root', reporterId: 'doctor', reason: 'spam' });
    expect(doctorReport.message).toMatchObject({ content: '', attachments: [], deletedAt: deletedByAdmin, replyTo: { id: mine.message.id, preview: '', deleted: true } });
    const all = JSON.stringify(queue.filter((r) => r.message.senderId === 'patient'));
    for (const text of ['HIV', 'CD4', 'lab-results-ada', 'memory://', '"lab"']) expect(all).not.toContain(text);
    // A report of another user's message is left as it was.
    expect(await repo.reports.get(ofDoctor.report.id)).toEqual(untouched);

    // Running the step again writes nothing.
    const saved = (await repo.erasures.get(erasure.id))!;
    await repo.erasures.save({ ...saved, status: 'running', checkpoint: { step: 'reported' } });
    let writes = 0;
    repo.reports.replaceSnapshot = async (...args) => (writes++, realReplace.apply(repo.reports, args));
    const before = structuredClone([...repo.reports.map.values()]);
    expect(await runErasure(ctx, erasure.id)).toBe('done');
    expect(writes).toBe(0);
    expect([...repo.reports.map.values()]).toEqual(before);
  });

  it('pages the reports of the user\'s messages with a checkpoint: a pause continues after the last page done', async () => {
    const { ctx, repo, root, patient, nurse } = await world();
    const { chat } = await createChat(ctx, patient, { type: 'group', participantIds: ['nurse'], title: 'Many' });
    const total = ERASURE_BATCH + 5;
    for (let i = 0; i < total; i++) {
      const sent = await sendMessage(ctx, patient, chat.id, { content: `secret ${i}` });
      await reportMessage(ctx, nurse, chat.id, sent.message.id, { reason: 'spam' });
    }
    const { erasure } = await requestErasure(ctx, root, 'patient');
    let pauseAt = false;
    const realPage = repo.reports.pageByAuthor;
    repo.reports.pageByAuthor = async (...args) => {
      const page = await realPage.apply(repo.reports, args);
      pauseAt = true; // pause after the first page of reports (not before: earlier steps ask too)
      return page;
    };
    expect(await runErasure(ctx, erasure.id, () => pauseAt)).toBe('paused');
    const paused = (await repo.erasures.get(erasure.id))!;
    expect(paused.checkpoint).toEqual({ step: 'reported', afterReport: expect.stringMatching(/^REPORTED#/) });
    const scrubbed = () => [...repo.reports.map.values()].filter((r) => r.message.content === '').length;
    expect(scrubbed()).toBe(ERASURE_BATCH);
    expect(await runErasure(ctx, erasure.id)).toBe('done');
    expect(scrubbed()).toBe(total);
    expect(JSON.stringify([...repo.reports.map.values()])).not.toContain('secret');
  });

  it('resumes after a crash from its checkpoint: every message erased and announced, counted once', async () => {
    const { ctx, repo, notifier, storage, root, patient, nurse } = await world();
    const { chat } = await createChat(ctx, patient, { type: 'group', participantIds: ['nurse'], title: 'Long' });
    const total = ERASURE_BATCH * 2 + 30;
    for (let i = 0; i < total; i++) await sendMessage(ctx, i % 2 ? nurse : patient, chat.id, { content: `m${i}` });
    const { erasure } = await requestErasure(ctx, root, 'patient');

    // The worker dies in the middle of the second page (after 120 of the patient's soft deletes).
    const realDelete = repo.messages.softDelete;
    let deletes = 0;
    repo.messages.softDelete = async (...args) => {
      if (++deletes > 70) throw new Error('worker killed');
      return realDelete(...args);
    };
    await expect(runErasure(ctx, erasure.id)).rejects.toThrow('worker killed');
    const crashed = await repo.erasures.get(erasure.id);
    expect(crashed).toMatchObject({ status: 'running', checkpoint: { step: 'chats', chatId: chat.id, afterSeq: ERASURE_BATCH } });
    expect(crashed!.messagesErased).toBe(ERASURE_BATCH / 2);

    repo.messages.softDelete = realDelete;
    expect(await runErasure(ctx, erasure.id)).toBe('done');
    const done = await repo.erasures.get(erasure.id);
    expect(done).toMatchObject({ status: 'done', messagesErased: total / 2, chatsLeft: 1 });
    const patientMessages = [...repo.messageMap.values()].filter((m) => m.senderId === 'patient');
    expect(patientMessages.every((m) => m.deletedAt && m.content === '')).toBe(true);
    expect([...repo.messageMap.values()].filter((m) => m.senderId === 'nurse').every((m) => !m.deletedAt)).toBe(true);
    // Every erased message was announced (those of the crashed page again: clients apply it idempotently).
    const announced = new Set(notifier.ofType('message.deleted').map((s) => (s.event as { messageId: string }).messageId));
    expect(patientMessages.every((m) => announced.has(m.id))).toBe(true);
    void storage;
  });

  it('pauses between batches when asked and continues in the next part', async () => {
    const { ctx, root, patient, nurse } = await world();
    const { chat } = await createChat(ctx, patient, { type: 'group', participantIds: ['nurse'], title: 'Long' });
    for (let i = 0; i < ERASURE_BATCH + 5; i++) await sendMessage(ctx, patient, chat.id, { content: `m${i}` });
    void nurse;
    const { erasure } = await requestErasure(ctx, root, 'patient');
    expect(await runErasure(ctx, erasure.id, () => true)).toBe('paused');
    expect((await getErasure(ctx, root, erasure.id)).status).toBe('running');
    expect(await runErasure(ctx, erasure.id)).toBe('done');
    expect(await getErasure(ctx, root, erasure.id)).toMatchObject({ status: 'done', messagesErased: ERASURE_BATCH + 5 });
  });
});
