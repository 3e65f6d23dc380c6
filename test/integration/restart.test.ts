/**
 * Durability (issue 7): DynamoDB Local with a data directory is killed
 * (SIGKILL, no shutdown) in the middle of a burst of sends and restarted on
 * the same directory. Every send that was acknowledged is still there
 * afterwards, with unique, increasing seqs; the sends that failed during the
 * outage failed with an error, never with a false success. A send whose seq
 * was allocated just before the kill and whose message put failed leaves a
 * gap (issue 20's seq allocation: atomic ADD on the chat item, then the put);
 * the first history read after `GAP_HEAL_AFTER_MS` fills it with a deleted
 * placeholder, so history is gap-free again and unread counts agree.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, ensureTable, startDynamo, type DynamoHandle } from '../../local/dynamo';
import { createDb } from '../../functions/data/client';
import { createRepository } from '../../functions/data/repository';
import { createChat } from '../../functions/domain/chats';
import { DEFAULT_LIMITS, type DomainContext } from '../../functions/domain/context';
import { GAP_HEAL_AFTER_MS, listMessages, sendMessage } from '../../functions/domain/messages';
import type { Principal } from '../../functions/domain/types';
import { MemoryStorage, RecordingAudit, RecordingBus, RecordingJobs, RecordingNotifier, RecordingOffline, TEST_CURSOR_SECRET } from '../support/memory';
import { createCursorCodec } from '../../functions/domain/cursors';
import { freePorts } from '../../local/launcher';

let dynamo: DynamoHandle | undefined;
let dataDir: string | undefined;
afterAll(async () => {
  await dynamo?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('DynamoDB Local killed and restarted with DATA_DIR during a burst of sends', () => {
  it('keeps every acknowledged message', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'chat-restart-'));
    const [port] = await freePorts(1);
    dynamo = await startDynamo({ port, dataDir });
    await ensureTable(dynamo.endpoint, 'restart');
    const db = createDb({ table: 'restart', endpoint: dynamo.endpoint, credentials: LOCAL_CREDENTIALS });
    const repo = createRepository(db);
    const offline = new RecordingOffline();
    const ctx: DomainContext = {
      repo,
      notifier: new RecordingNotifier(repo, offline),
      offline,
      bus: new RecordingBus(),
      audit: new RecordingAudit(),
      jobs: new RecordingJobs(),
      storage: new MemoryStorage(),
      limits: { ...DEFAULT_LIMITS, messagesPerMinute: 100_000 },
      cursors: createCursorCodec(TEST_CURSOR_SECRET),
      now: () => new Date(),
      newId: ulid,
    };
    const alice: Principal = { userId: 'alice', name: 'Alice', roles: ['user'] };
    const bob: Principal = { userId: 'bob', name: 'Bob', roles: ['user'] };
    await repo.users.touch(alice, new Date().toISOString());
    await repo.users.touch(bob, new Date().toISOString());
    const { chat } = await createChat(ctx, alice, { type: 'direct', participantIds: ['bob'] });

    const acknowledged: { id: string; seq: number }[] = [];
    let failed = 0;
    const sender = async (who: Principal, n: number) => {
      for (let i = 0; i < n; i++) {
        try {
          const { message } = await sendMessage(ctx, who, chat.id, { content: `${who.userId} ${i}` });
          acknowledged.push({ id: message.id, seq: message.seq });
        } catch {
          failed++;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    const burst = Promise.all([sender(alice, 60), sender(bob, 60)]);
    // Kill once the burst is under way (a few sends acknowledged), not after a fixed delay a busy machine may not reach.
    for (const deadline = Date.now() + 30_000; acknowledged.length < 5 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10));
    dynamo.process.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 500));
    dynamo = await startDynamo({ port, dataDir });
    await burst;

    expect(acknowledged.length).toBeGreaterThan(0);
    const stored = (await repo.messages.page(chat.id, { limit: 100, after: 0 })).messages;
    const more = (await repo.messages.page(chat.id, { limit: 100, after: stored.at(-1)?.seq ?? 0 })).messages;
    const all = [...stored, ...more];
    const byId = new Map(all.map((m) => [m.id, m]));
    for (const a of acknowledged) expect(byId.get(a.id)?.seq, a.id).toBe(a.seq);
    const seqs = all.map((m) => m.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    // Gaps only where a send failed (its seq allocated, its put lost with the process).
    const gaps = (seqs.at(-1) ?? 0) - seqs.length;
    expect(gaps).toBeLessThanOrEqual(failed);
    // Once no sender of a missing seq can still be running, a history read heals every gap.
    const later: DomainContext = { ...ctx, now: () => new Date(Date.now() + GAP_HEAL_AFTER_MS + 5_000) };
    const healed = (await listMessages(later, alice, chat.id, { limit: 100, after: 0 })).messages;
    expect(healed.map((m) => m.seq)).toEqual(healed.map((_, i) => i + 1));
    for (const m of healed) if (!byId.has(m.id)) expect(m.deletedAt, `seq ${m.seq} is a healed gap`).toBeTruthy();
    expect(healed.length).toBe(seqs.at(-1));
    // The outage really hit the burst, and every send either succeeded (and is stored) or failed visibly.
    expect(failed).toBeGreaterThan(0);
    expect(acknowledged.length + failed).toBe(120);
  }, 120_000);
});
