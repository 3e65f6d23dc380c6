/**
 * `npm run smoke -- --local` against the local stack the e2e suites share:
 * the script passes every step and leaves nothing behind (both users erased,
 * their messages gone, the chat without participants).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { client, uniqueId } from '../support/api';

const run = promisify(execFile);

describe('npm run smoke -- --local', () => {
  it('drives the core path and cleans up after itself', async () => {
    const stack = inject('stack');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/smoke.ts', '--local', '--url', stack.baseUrl], { timeout: 90_000 });
    expect(stdout).toMatch(/^smoke: PASS$/m);
    for (const step of ['health (deep)', 'create chat', 'send over HTTP, receive on WebSocket', 'send over WebSocket, receive on WebSocket', 'upload and download an attachment', 'sync', 'clean up (erase both users)']) {
      expect(stdout).toContain(`ok   ${step}`);
    }
    expect(stdout).not.toContain('FAIL');

    const chatId = /^chat (\S+)$/m.exec(stdout)![1]!;
    const erasures = [...stdout.matchAll(/^erasure (\S+) of (\S+)$/gm)].map((m) => ({ id: m[1]!, userId: m[2]! }));
    expect(erasures).toHaveLength(2);
    const admin = await client(uniqueId('admin'), { roles: ['admin'] });
    const [a, b] = await Promise.all(erasures.map(async (e) => (await admin.get(`/v1/erasures/${e.id}`)).body.erasure));
    expect(a).toMatchObject({ userId: erasures[0]!.userId, status: 'done', messagesErased: 3, chatsLeft: 1 });
    expect(b).toMatchObject({ userId: erasures[1]!.userId, status: 'done', messagesErased: 0, chatsLeft: 1 });
    for (const { userId } of erasures) {
      expect((await admin.get(`/v1/users/${userId}`)).body.user).toMatchObject({ id: userId, deleted: true });
    }
    const chat = await admin.get(`/v1/chats/${chatId}`);
    expect(chat.status).toBe(200);
    expect(chat.body.chat.participants).toEqual([]);
  }, 120_000);
});
