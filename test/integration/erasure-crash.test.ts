/**
 * SPEC §10: "an erasure survives a crash of the worker: it resumes where it
 * stopped". A real worker process on DynamoDB Local is SIGKILLed in the
 * middle of an erasure (as a Lambda container dies); a second run resumes
 * from the checkpoint in the erasure item and finishes, counting every
 * message once and leaving none of the user's messages behind.
 */
import { spawn } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { requestErasure, runErasure } from '../../functions/domain/erasure';
import { createChat } from '../../functions/domain/chats';
import { messageId } from '../../functions/domain/ids';
import type { MessageRecord } from '../../functions/domain/types';
import { dynamoContext, freshTable, registerUsers } from '../support/dynamo';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('an erasure worker killed mid-erasure', () => {
  it('resumes from its checkpoint and finishes, each message erased and counted once', async () => {
    const stack = inject('stack');
    const db = await freshTable();
    const { ctx, notifier } = dynamoContext(db);
    const [patient, nurse, root] = await registerUsers(ctx.repo, ['patient', 'nurse', 'root']);
    const admin = { ...root, roles: ['user', 'admin'] as const };
    const { chat } = await createChat(ctx, patient, { type: 'group', participantIds: [nurse.userId], title: 'Long history' });
    // 320 messages, every other one the patient's, stored directly (a send's other writes do not matter here).
    const total = 320;
    for (let seq = 1; seq <= total; seq += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, i): MessageRecord => ({
          id: messageId(ctx.newId(), seq + i),
          chatId: chat.id,
          seq: seq + i,
          senderId: (seq + i) % 2 ? patient.userId : nurse.userId,
          type: 'text',
          content: `message ${seq + i}`,
          reactions: {},
          createdAt: new Date().toISOString(),
        })).map((m) => ctx.repo.messages.putAtomically(m)),
      );
    }
    await ctx.repo.chats.recordMessage(chat.id, { id: messageId(ctx.newId(), total), seq: total, senderId: nurse.userId, type: 'text', content: 'x', createdAt: new Date().toISOString() });
    const { erasure } = await requestErasure(ctx, admin, patient.userId);

    const worker = spawn(process.execPath, ['--import', 'tsx', 'test/support/erasure-worker.ts', db.table, stack.dynamoEndpoint, stack.region, erasure.id], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    worker.stdout.on('data', (chunk) => (output += chunk));
    worker.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => worker.on('exit', (code, signal) => resolve(signal ? null : code)));
    // Killed once at least one batch is checkpointed and before the last.
    let killedAt: number | undefined;
    for (let i = 0; i < 600 && killedAt === undefined; i++) {
      const progress = await ctx.repo.erasures.get(erasure.id);
      if (progress && progress.messagesErased > 0) {
        worker.kill('SIGKILL');
        killedAt = progress.messagesErased;
      } else await sleep(50);
    }
    expect(await exited, output).toBeNull();
    expect(output).not.toContain('done');
    const stopped = await ctx.repo.erasures.get(erasure.id);
    expect(stopped).toMatchObject({ status: 'running', checkpoint: { step: 'chats', chatId: chat.id } });
    expect(stopped!.messagesErased).toBeLessThan(total / 2);

    expect(await runErasure(ctx, erasure.id)).toBe('done');
    const done = await ctx.repo.erasures.get(erasure.id);
    expect(done).toMatchObject({ status: 'done', messagesErased: total / 2, chatsLeft: 1 });
    const page = await ctx.repo.messages.page(chat.id, { after: 0, limit: total });
    expect(page.messages).toHaveLength(total);
    for (const m of page.messages) {
      if (m.senderId === patient.userId) expect(m, `seq ${m.seq}`).toMatchObject({ content: '', deletedAt: expect.any(String) });
      else expect(m.deletedAt, `seq ${m.seq}`).toBeUndefined();
    }
    // The resumed run announced every message it erased from the checkpoint on (the killed run's events went with it).
    const announced = new Set(notifier.ofType('message.deleted').map((s) => (s.event as { seq: number }).seq));
    const afterCheckpoint = page.messages.filter((m) => m.senderId === patient.userId && m.seq > (stopped!.checkpoint.afterSeq ?? 0));
    expect(afterCheckpoint.every((m) => announced.has(m.seq))).toBe(true);
    expect(await ctx.repo.memberships.listByUser(patient.userId)).toEqual([]);
  }, 120_000);
});
