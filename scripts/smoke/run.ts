/**
 * The smoke test's core path, the same against AWS and the local stack: two
 * signed-in users drive what every client needs, then remove what the run
 * created. Each step is timed and reported; the first failing step stops the
 * run (cleanup still runs).
 *
 * Steps: `GET /health?deep=1` → A creates a direct chat with B → B opens the
 * WebSocket → A sends over HTTP, B receives `message.new` → A sends over the
 * WebSocket, B receives it → A uploads a PNG (presigned PUT), sends it, B
 * downloads the same bytes (presigned GET) → B's `GET /v1/sync` from a cursor
 * taken before the run returns the three messages.
 *
 * Cleanup: both users erase themselves (`DELETE /v1/me`, SPEC §10: their
 * messages, attachment objects and memberships go) and the run waits until
 * both erasures are `done`; the chat is then left with no participants (the
 * API has no route that deletes a chat). The caller deletes the identities
 * (Cognito users) afterwards.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { ChatClient, ChatSocket } from '../../sdk/src/index';

export interface SmokeTarget {
  baseUrl: string;
  wsUrl: string;
  a: { userId: string; token: string };
  b: { userId: string; token: string };
  /** How long to wait for an event or an erasure (default 15 s). */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface SmokeStep {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

export interface SmokeResult {
  ok: boolean;
  steps: SmokeStep[];
  /** The chat the run created (undefined when creating it failed). */
  chatId?: string;
  /** The erasures cleanup started, by user id. */
  erasures: Record<string, string>;
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function waitFor<T>(socket: ChatSocket, type: 'message.new', match: (event: any) => boolean, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${type} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = socket.on(type, (event) => {
      if (!match(event)) return;
      clearTimeout(timer);
      off();
      resolve(event as T);
    });
  });
}

/** Runs the core path and the cleanup. Never throws: failures are in `steps`. */
export async function runSmoke(target: SmokeTarget): Promise<SmokeResult> {
  const timeoutMs = target.timeoutMs ?? 15_000;
  const log = target.log ?? (() => undefined);
  const steps: SmokeStep[] = [];
  const result: SmokeResult = { ok: false, steps, erasures: {} };
  const api = (token: string) => new ChatClient({ baseUrl: target.baseUrl, token, retries: 1 });
  const a = api(target.a.token);
  const b = api(target.b.token);
  let socketA: ChatSocket | undefined;
  let socketB: ChatSocket | undefined;

  const step = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      const value = await body();
      steps.push({ name, ok: true, ms: Date.now() - started });
      log(`ok   ${name} (${Date.now() - started} ms)`);
      return value;
    } catch (error) {
      const message = (error as Error).message;
      steps.push({ name, ok: false, ms: Date.now() - started, error: message });
      log(`FAIL ${name}: ${message}`);
      throw error;
    }
  };

  try {
    await step('health (deep)', async () => {
      const health = await a.health({ deep: '1' });
      if ((health as { status?: string }).status !== 'ok') throw new Error(`health answered ${JSON.stringify(health)}`);
    });
    const { cursor } = await step('sync cursor', () => b.sync());
    const chatId = await step('create chat', async () => (await a.createChat({ type: 'direct', participantIds: [target.b.userId] })).chat.id);
    result.chatId = chatId;
    log(`chat ${chatId}`);
    socketB = await step('connect WebSocket', async () => {
      const socket = new ChatSocket({ url: target.wsUrl, token: target.b.token, api: b, WebSocket: WebSocket as never });
      await socket.connect();
      return socket;
    });
    socketA = new ChatSocket({ url: target.wsUrl, token: target.a.token, api: a, WebSocket: WebSocket as never });
    await socketA.connect();
    const sent: string[] = [];
    await step('send over HTTP, receive on WebSocket', async () => {
      const content = `smoke http ${randomBytes(4).toString('hex')}`;
      const received = waitFor(socketB!, 'message.new', (e) => e.chatId === chatId && e.message.content === content, timeoutMs);
      sent.push((await a.sendMessage(chatId, { content })).message.id);
      await received;
    });
    await step('send over WebSocket, receive on WebSocket', async () => {
      const content = `smoke ws ${randomBytes(4).toString('hex')}`;
      const received = waitFor(socketB!, 'message.new', (e) => e.chatId === chatId && e.message.content === content, timeoutMs);
      sent.push((await socketA!.sendMessage({ chatId, content })).id);
      await received;
    });
    await step('upload and download an attachment', async () => {
      const bytes = Buffer.concat([PNG, randomBytes(2048)]);
      const pending = await a.uploadAttachment(chatId, new Uint8Array(bytes), { filename: 'smoke.png', contentType: 'image/png' });
      const received = waitFor<any>(socketB!, 'message.new', (e) => e.chatId === chatId && e.message.attachments?.length > 0, timeoutMs);
      sent.push((await a.sendMessage(chatId, { content: 'smoke attachment', attachmentIds: [pending.id] })).message.id);
      const event = await received;
      const download = await fetch(event.message.attachments[0].url);
      if (download.status !== 200) throw new Error(`download answered ${download.status}`);
      if (!Buffer.from(await download.arrayBuffer()).equals(bytes)) throw new Error('downloaded bytes differ from the upload');
    });
    await step('sync', async () => {
      const seen = new Set<string>();
      let since = cursor;
      for (let page = 0; page < 20; page++) {
        const answer = await b.sync({ since });
        for (const event of answer.events) if (event.type === 'message.new') seen.add(event.message.id);
        since = answer.cursor;
        if (!answer.hasMore) break;
      }
      const missing = sent.filter((id) => !seen.has(id));
      if (missing.length) throw new Error(`sync is missing messages ${missing.join(', ')}`);
    });
    result.ok = true;
  } catch {
    // Recorded in steps; cleanup below.
  } finally {
    socketA?.close();
    socketB?.close();
  }

  const cleanedUp = await step('clean up (erase both users)', async () => {
    for (const [user, client] of [[target.a, a], [target.b, b]] as const) {
      result.erasures[user.userId] = (await client.eraseMe()).erasure.id;
      log(`erasure ${result.erasures[user.userId]} of ${user.userId}`);
    }
    const deadline = Date.now() + timeoutMs * 4;
    for (const [user, client] of [[target.a, a], [target.b, b]] as const) {
      for (;;) {
        const { erasure } = await client.getErasure(result.erasures[user.userId]!);
        if (erasure.status === 'done') break;
        if (Date.now() > deadline) throw new Error(`erasure ${erasure.id} still ${erasure.status}`);
        await new Promise((done) => setTimeout(done, 250));
      }
    }
  }).then(() => true, () => false);
  result.ok &&= cleanedUp;
  return result;
}
