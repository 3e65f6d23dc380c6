/**
 * Error shapes, through `npm start`'s stack, as a client sees them: a
 * WebSocket `error` frame says what an HTTP problem says (`code`, `detail`),
 * refusals keep the `requestId` a client needs to match them, an expired
 * token is called expired, and a refused upgrade is a problem too. Bodies
 * are parsed as JSON and the contract checker (`test/support/contract.ts`)
 * validates every answer besides.
 */
import { describe, expect, inject, it } from 'vitest';
import { Problem } from '../../functions/schemas';
import { call, client, uniqueId } from '../support/api';
import { mintToken } from '../../local/launcher';
import { connect, refusal } from '../support/ws-client';

const stack = inject('stack');

describe('WebSocket error frames and HTTP problems', () => {
  it('carry the same code and detail for the same failure, and keep `message`', async () => {
    const [alice, bob, eve] = await Promise.all([client(uniqueId('alice')), client(uniqueId('bob')), client(uniqueId('eve'))]);
    const chatId = (await alice.api.createChat({ type: 'direct', participantIds: [bob.id] })).chat.id;
    const ws = await eve.ws();
    try {
      // Not a participant: the same 404 either way.
      const http = await eve.post(`/v1/chats/${chatId}/messages`, { content: 'let me in' });
      const frame = await ws.request('sendMessage', { chatId, content: 'let me in' });
      expect(http.body).toMatchObject({ status: 404, code: 'not_found' });
      expect(frame).toMatchObject({ type: 'error', code: http.body.code, detail: http.body.detail, message: http.body.detail });

      // Invalid input: the same code, and the failed checks as `errors`.
      const badHttp = await eve.post(`/v1/chats/${chatId}/messages`, { content: 42 });
      const badFrame = await ws.request('sendMessage', { chatId, content: 42 });
      expect(badHttp.body).toMatchObject({ code: 'bad_request', errors: [{ path: 'body.content', message: expect.any(String) }] });
      expect(badFrame).toMatchObject({ code: 'bad_request', detail: expect.any(String), errors: [{ path: 'frame.content', message: badHttp.body.errors[0].message }] });
    } finally {
      await ws.close();
    }
  });

  it('answer an oversize message or frame with the requestId it carried, and without one when it cannot be read', async () => {
    const alice = await client(uniqueId('alice'));
    const ws = await alice.ws();
    try {
      // Over the 128 KB message quota, in one frame.
      ws.send(JSON.stringify({ action: 'sendMessage', requestId: 'huge', chatId: 'c1', content: 'x'.repeat(200 * 1024) }));
      expect(await ws.next((f) => f.type === 'error')).toMatchObject({ requestId: 'huge', code: 'payload_too_large', detail: expect.stringContaining('128 KB') });
      // Under the message quota but over the 32 KB frame quota.
      ws.send(JSON.stringify({ action: 'sendMessage', requestId: 7, chatId: 'c1', content: 'x'.repeat(40 * 1024) }));
      expect(await ws.next((f) => f.type === 'error')).toMatchObject({ requestId: 7, code: 'payload_too_large', detail: expect.stringContaining('32 KB') });
      // Not JSON: there is no requestId to read.
      ws.send(`{"requestId":"cut"${' '.repeat(40 * 1024)}`);
      const unreadable = await ws.next((f) => f.type === 'error');
      expect(unreadable).toMatchObject({ code: 'payload_too_large' });
      expect(unreadable).not.toHaveProperty('requestId');
      // The connection is still usable.
      expect(await ws.request('ping')).toMatchObject({ type: 'pong' });
    } finally {
      await ws.close();
    }
  });
});

describe('tokens', () => {
  it('an expired token is called expired, on HTTP and on the WebSocket upgrade; a forged one is not', async () => {
    const expired = await mintToken(stack.baseUrl, uniqueId('late'), { expiresIn: -60 });
    const http = await call(stack, 'GET', '/v1/me', { token: expired });
    expect(http).toMatchObject({ status: 401, body: { code: 'unauthorized', detail: expect.stringContaining('expired') } });

    const refused = await refusal(stack.wsUrl, expired);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'unauthorized', detail: http.body.detail });

    const forged = await call(stack, 'GET', '/v1/me', { token: `${expired.slice(0, -4)}AAAA` });
    expect(forged.status).toBe(401);
    expect(forged.body.detail).not.toContain('expired');
  });

  it('refuses a WebSocket upgrade with an application/problem+json 401', async () => {
    for (const token of [undefined, 'garbage']) {
      const refused = await refusal(stack.wsUrl, token);
      expect(refused.status, String(token)).toBe(401);
      expect(refused.headers['content-type'], String(token)).toBe('application/problem+json');
      const body = JSON.parse(refused.body);
      expect(Problem.safeParse(body).success, refused.body).toBe(true);
      expect(body).toMatchObject({ status: 401, code: 'unauthorized', type: 'urn:problem:chat:unauthorized' });
    }
    // A good token still opens.
    const alice = await client(uniqueId('alice'));
    await (await connect(stack.wsUrl, alice.token)).close();
  });
});
