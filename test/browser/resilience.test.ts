/**
 * The web client when things are not simple: the server drops its socket
 * while messages keep coming, history longer than a page, and the support
 * desk between a user and an agent.
 *
 * Screenshots: `test-results/browser/resilience-*.png`.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, uniqueId } from '../support/api';
import { blockNewWebSockets, connectionState, launchBrowser, message, screenshot, signIn } from '../support/browser';
import { connectionIdsOf, deleteConnection } from '../support/connections';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

const contents = (page: import('playwright-core').Page) => page.getByTestId('message-content').allTextContents();

describe('web client resilience', () => {
  it('catches up after the server drops the socket: messages sent meanwhile appear once, in order', async () => {
    const [alice, bob] = await Promise.all([signIn(browser, uniqueId('alice'), 'Alice'), signIn(browser, uniqueId('bob'), 'Bob', { webSocketGate: true })]);
    // The same user as the page, from another device (`client` would rename her to her id without `name`).
    const aliceApi = await client(alice.id, { name: alice.name });
    const { body } = await aliceApi.post('/v1/chats', { type: 'direct', participantIds: [bob.id] });
    const chatId: string = body.chat.id;
    // Alice's page learns of the chat from its first message (the creator's own devices get no chat.created).
    await aliceApi.post(`/v1/chats/${chatId}/messages`, { content: 'before' });
    await Promise.all([alice, bob].map((u) => u.page.locator(`[data-testid="chat-item"][data-chat-id="${chatId}"]`).click()));
    await message(bob.page, 'before').waitFor();

    // New connections from Bob's page fail from now on, and the server closes his open one.
    await blockNewWebSockets(bob, true);
    const ids = await connectionIdsOf(bob.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(await Promise.all(ids.map(deleteConnection))).toContain(204);
    await connectionState(bob.page, 'reconnecting');

    for (const content of ['missed 1', 'missed 2', 'missed 3']) {
      expect((await aliceApi.post(`/v1/chats/${chatId}/messages`, { content })).status).toBe(201);
    }
    // Still disconnected (the SDK keeps retrying and failing): nothing arrived live.
    expect(await contents(bob.page)).toEqual(['before']);
    expect(await bob.page.getByTestId('connection-status').getAttribute('data-state')).toBe('reconnecting');
    await screenshot(bob, 'resilience-reconnecting');

    // Connections work again; the SDK reconnects by itself and fetches `after=<last seq>`.
    await blockNewWebSockets(bob, false);
    await connectionState(bob.page, 'open');
    await message(bob.page, 'missed 3').waitFor({ timeout: 20_000 });
    await send(alice.page, chatId, 'after');
    await message(bob.page, 'after').waitFor();
    expect(await contents(bob.page)).toEqual(['before', 'missed 1', 'missed 2', 'missed 3', 'after']);
    // Bob is looking at the chat, so catching up also read it.
    await message(alice.page, 'after').locator('[data-testid="receipt"][data-state="read"]').waitFor();
    await screenshot(bob, 'resilience-caught-up');
  });

  it('pages history: the latest 30 first, the older one on "Load older"', async () => {
    const ada = await signIn(browser, uniqueId('ada'), 'Ada');
    // Two senders, because one user may send 20 messages a minute (SPEC §5).
    const [s1, s2] = await Promise.all([client(uniqueId('seed')), client(uniqueId('seed'))]);
    const { body } = await s1.post('/v1/chats', { type: 'group', title: 'History', participantIds: [s2.id, ada.id] });
    const chatId: string = body.chat.id;
    for (let i = 1; i <= 31; i++) {
      const res = await (i % 2 ? s1 : s2).post(`/v1/chats/${chatId}/messages`, { content: `m${i}` });
      expect(res.status).toBe(201);
    }

    await ada.page.locator(`[data-testid="chat-item"][data-chat-id="${chatId}"]`).click();
    await message(ada.page, 'm31').waitFor();
    const latest = await contents(ada.page);
    expect(latest).toHaveLength(30);
    expect(latest[0]).toBe('m2');

    await ada.page.getByTestId('load-older').click();
    await message(ada.page, 'm1').waitFor();
    expect(await contents(ada.page)).toEqual(Array.from({ length: 31 }, (_, i) => `m${i + 1}`));
    expect(await ada.page.getByTestId('load-older').isHidden()).toBe(true);
  });

  it('support: the user contacts support, the agent claims or is given the chat from the queue, and they talk', async () => {
    // The farmer asks before this test's agent exists, so the chat goes to nobody (then the agent
    // claims it) or, when other suites' agents share this stack, to one of them (then an admin hands
    // it over). Either way it ends up in this agent's queue and chat list.
    const farmer = await signIn(browser, uniqueId('farmer'), 'Farmer Jo');
    expect(await farmer.page.getByTestId('support-queue').isHidden()).toBe(true);
    await farmer.page.getByTestId('contact-support').click();
    await expect.poll(() => farmer.page.getByTestId('conversation').getAttribute('data-chat-id')).toBeTruthy();
    const chatId = (await farmer.page.getByTestId('conversation').getAttribute('data-chat-id'))!;
    await send(farmer.page, chatId, 'My tractor will not start');

    const agent = await signIn(browser, uniqueId('agent'), 'Agent Smith', { agent: true });
    await agent.page.getByTestId('support-queue').waitFor();
    const { body } = await (await client(farmer.id, { name: farmer.name })).get(`/v1/chats/${chatId}`);
    const queued = (assigned: 'nobody' | 'me') => agent.page.locator(`[data-testid="queue-item"][data-chat-id="${chatId}"][data-assigned="${assigned}"]`);
    if (body.chat.assigneeId === null) {
      await queued('nobody').getByTestId('queue-claim').click();
      await queued('me').waitFor();
    } else {
      const admin = await client(uniqueId('admin'), { roles: ['admin'] });
      expect((await admin.put(`/v1/chats/${chatId}/assignee`, { agentId: agent.id })).status).toBe(200);
      await agent.page.getByTestId('queue-refresh').click();
      await queued('me').getByTestId('queue-open').click();
    }

    await message(agent.page, 'My tractor will not start').waitFor();
    await expect.poll(() => agent.page.getByTestId('conversation-title').textContent()).toBe('Support · Farmer Jo');
    await agent.page.locator(`[data-testid="chat-item"][data-chat-id="${chatId}"]`).waitFor();

    await send(agent.page, chatId, 'Is there fuel in the tank?');
    await message(farmer.page, 'Is there fuel in the tank?').waitFor();
    expect(await message(farmer.page, 'Is there fuel in the tank?').getByTestId('message-sender').textContent()).toBe('Agent Smith');
    await screenshot(agent, 'resilience-support-agent');
    await screenshot(farmer, 'resilience-support-user');
    expect([...agent.errors, ...farmer.errors]).toEqual([]);
  });
});

/** Sends through the page's composer (the chat must be open) and waits for the message to show. */
async function send(page: import('playwright-core').Page, chatId: string, text: string) {
  expect(await page.getByTestId('conversation').getAttribute('data-chat-id')).toBe(chatId);
  await page.getByTestId('composer-input').fill(text);
  await page.getByTestId('composer-input').press('Enter');
  await message(page, text).waitFor();
}
