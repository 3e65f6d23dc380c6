/**
 * The web client's chat management, as people use it (issue 16): group
 * members (add, remove, leave) and rename; the support desk's status
 * controls for agents, the requester's view of who is helping them and the
 * queue by name; archive and unarchive. Each at desktop and phone widths.
 *
 * Screenshots: `test-results/browser/groups-*.png`.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, uniqueId } from '../support/api';
import { confirm, launchBrowser, screenshot, signIn, type BrowserUser } from '../support/browser';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

const chatItem = (u: BrowserUser, chatId: string) => u.page.locator(`[data-testid="chat-item"][data-chat-id="${chatId}"]`);
const member = (u: BrowserUser, userId: string) => u.page.locator(`[data-testid="member"][data-user-id="${userId}"]`);
const poll = { timeout: 10_000 };

async function openChat(u: BrowserUser, chatId: string): Promise<void> {
  await chatItem(u, chatId).click();
  await u.page.locator(`[data-testid="conversation"][data-chat-id="${chatId}"]`).waitFor();
}

async function openDetails(u: BrowserUser): Promise<void> {
  await u.page.getByTestId('details-toggle').click();
  await u.page.getByTestId('details-panel').waitFor();
}

describe('groups', () => {
  it('owner renames, adds and removes members; a member sees no such controls and leaves', async () => {
    const [alice, bob] = await Promise.all([signIn(browser, uniqueId('alice'), 'Alice'), signIn(browser, uniqueId('bob'), 'Bob', { phone: true })]);
    const [carol, dave] = await Promise.all([client(uniqueId('carol'), { name: 'Carol' }), client(uniqueId('dave'), { name: 'Dave' })]);

    // Alice creates the group from the sidebar.
    await alice.page.locator('summary', { hasText: 'New chat' }).click();
    await alice.page.getByTestId('new-group-title').fill('Field crew');
    await alice.page.getByTestId('new-group-users').fill(`${bob.id}, ${carol.id}`);
    await alice.page.getByTestId('new-group-submit').click();
    await expect.poll(() => alice.page.getByTestId('conversation-title').textContent(), poll).toBe('Field crew');
    const chatId = (await alice.page.getByTestId('conversation').getAttribute('data-chat-id'))!;

    // Members with roles; the owner may remove the others but not herself.
    await openDetails(alice);
    await expect.poll(() => alice.page.getByTestId('member').count(), poll).toBe(3);
    expect(await member(alice, alice.id).getAttribute('data-role')).toBe('owner');
    expect(await member(alice, alice.id).getByTestId('member-remove').count()).toBe(0);
    expect(await member(alice, bob.id).getByTestId('member-remove').count()).toBe(1);

    // Rename: Bob's list follows.
    await alice.page.getByTestId('rename-input').fill('Harvest crew');
    await alice.page.getByTestId('rename-submit').click();
    await expect.poll(() => alice.page.getByTestId('conversation-title').textContent(), poll).toBe('Harvest crew');
    await expect.poll(() => chatItem(bob, chatId).getByTestId('chat-title').textContent(), poll).toBe('Harvest crew');

    // Add Dave by id: he can read the chat now.
    await alice.page.getByTestId('add-members-input').fill(dave.id);
    await alice.page.getByTestId('add-members-submit').click();
    await member(alice, dave.id).waitFor();
    expect((await dave.api.getChat(chatId)).chat.title).toBe('Harvest crew');

    // Remove Carol, after a confirmation that names her; cancel first changes nothing.
    await member(alice, carol.id).getByTestId('member-remove').click();
    expect(await confirm(alice.page, 'cancel')).toContain('Remove Carol');
    expect(await member(alice, carol.id).count()).toBe(1);
    await member(alice, carol.id).getByTestId('member-remove').click();
    await confirm(alice.page, 'ok');
    await member(alice, carol.id).waitFor({ state: 'detached' });
    await expect(carol.api.getChat(chatId)).rejects.toMatchObject({ status: 404 });
    await screenshot(alice, 'groups-owner-desktop');

    // Bob (a member, on his phone) sees the members but no owner controls.
    await openChat(bob, chatId);
    await openDetails(bob);
    await expect.poll(() => bob.page.getByTestId('member').count(), poll).toBe(3);
    expect(await bob.page.getByTestId('member-remove').count()).toBe(0);
    expect(await bob.page.getByTestId('add-members-form').count()).toBe(0);
    expect(await bob.page.getByTestId('rename-form').count()).toBe(0);
    await screenshot(bob, 'groups-member-phone');

    // Bob leaves: confirmed, the chat leaves his list, and Alice's members follow.
    await bob.page.getByTestId('leave-chat').click();
    expect(await confirm(bob.page, 'ok')).toContain('Leave Harvest crew');
    await chatItem(bob, chatId).waitFor({ state: 'detached' });
    await expect.poll(() => bob.page.getByTestId('app-view').getAttribute('data-view'), poll).toBe('list');
    await member(alice, bob.id).waitFor({ state: 'detached' });
    expect([...alice.errors, ...bob.errors]).toEqual([]);
  });
});

describe('support desk', () => {
  it('the queue names the requester; the agent claims and sets the status; the requester sees who helps, by name', async () => {
    // Rita asks before this test's agent exists, so the chat goes to nobody (Ann claims it) or, when other
    // suites' agents share this stack, to one of them (an admin then hands it to Ann), as in resilience.test.ts.
    const rita = await signIn(browser, uniqueId('rita'), 'Rita Requester', { phone: true });
    await rita.page.getByTestId('contact-support').click();
    await expect.poll(() => rita.page.getByTestId('conversation').getAttribute('data-chat-id'), poll).toBeTruthy();
    const chatId = (await rita.page.getByTestId('conversation').getAttribute('data-chat-id'))!;
    const ritaApi = await client(rita.id, { name: rita.name });
    const unassigned = (await ritaApi.api.getChat(chatId)).chat.assigneeId === null;
    if (unassigned) await expect.poll(() => rita.page.getByTestId('conversation-subtitle').textContent(), poll).toBe('Waiting for an agent · open');

    const ann = await signIn(browser, uniqueId('ann'), 'Ann Agent', { agent: true });
    const queued = ann.page.locator(`[data-testid="queue-item"][data-chat-id="${chatId}"]`);
    if (unassigned) {
      await queued.getByTestId('queue-claim').waitFor();
      // The queue shows Rita's name, not her id.
      await expect.poll(() => queued.getByTestId('queue-requester').textContent(), poll).toMatch(/^Rita Requester · open · /);
      expect(await queued.textContent()).not.toContain(rita.id);
      await screenshot(ann, 'groups-support-queue-desktop');
      await queued.getByTestId('queue-claim').click();
    } else {
      const admin = await client(uniqueId('admin'), { roles: ['admin'] });
      expect((await admin.put(`/v1/chats/${chatId}/assignee`, { agentId: ann.id })).status).toBe(200);
      await ann.page.getByTestId('queue-refresh').click();
      await expect.poll(() => queued.getByTestId('queue-requester').textContent(), poll).toMatch(/^Rita Requester · open · /);
      await screenshot(ann, 'groups-support-queue-desktop');
      await queued.getByTestId('queue-open').click();
    }
    await ann.page.locator(`[data-testid="conversation"][data-chat-id="${chatId}"]`).waitFor();
    // Rita's header names her helper (by name; another suite's agent may have been first).
    await expect.poll(() => rita.page.getByTestId('conversation-subtitle').textContent(), poll).toMatch(/Ann Agent (is|are) helping you · open$/);

    // The agent's status controls; each change reaches the requester.
    await openDetails(ann);
    for (const status of ['waiting', 'resolved', 'closed'] as const) {
      await ann.page.getByTestId(`status-${status}`).click();
      await expect.poll(() => ann.page.getByTestId(`status-${status}`).getAttribute('aria-pressed'), poll).toBe('true');
      await expect.poll(() => rita.page.getByTestId('conversation-subtitle').textContent(), poll).toMatch(new RegExp(`Ann Agent (is|are) helping you · ${status}$`));
      if (status === 'waiting') {
        await screenshot(ann, 'groups-support-agent-desktop');
        await screenshot(rita, 'groups-support-requester-phone');
      }
    }
    // The requester has no status controls, but sees her helper in the details.
    await openDetails(rita);
    await expect.poll(() => rita.page.getByTestId('support-helpers').textContent(), poll).toContain('Ann Agent');
    expect(await rita.page.getByTestId('support-status').count()).toBe(0);
    expect([...rita.errors, ...ann.errors]).toEqual([]);
  });
});

describe('archive', () => {
  it.each([['desktop', false], ['phone', true]] as const)('archives and unarchives a chat (%s)', async (screen, phone) => {
    const alice = await signIn(browser, uniqueId('alice'), 'Alice', { phone });
    const bob = await client(uniqueId('bob'), { name: 'Bob' });
    const aliceApi = await client(alice.id, { name: 'Alice' });
    const { chat } = await aliceApi.api.createChat({ type: 'direct', participantIds: [bob.id] });
    await aliceApi.api.sendMessage(chat.id, { content: 'keep this for later' });
    await chatItem(alice, chat.id).waitFor();

    await openChat(alice, chat.id);
    await openDetails(alice);
    await alice.page.getByTestId('archive-toggle').click();
    await expect.poll(() => alice.page.getByTestId('archive-toggle').textContent(), poll).toBe('Unarchive');
    await alice.page.getByTestId('details-close').click();
    if (phone) await alice.page.getByTestId('back').click();
    await chatItem(alice, chat.id).waitFor({ state: 'detached' });
    expect((await aliceApi.api.getChat(chat.id)).chat.archived).toBe(true);

    // "Archived" lists it; unarchiving from there brings it back.
    await alice.page.getByTestId('show-archived').click();
    await expect.poll(() => alice.page.getByTestId('chat-list-heading').textContent(), poll).toBe('Archived chats');
    await chatItem(alice, chat.id).waitFor();
    await screenshot(alice, `groups-archived-${screen}`);
    await openChat(alice, chat.id);
    await openDetails(alice);
    await alice.page.getByTestId('archive-toggle').click();
    await expect.poll(() => alice.page.getByTestId('archive-toggle').textContent(), poll).toBe('Archive');
    await alice.page.getByTestId('details-close').click();
    if (phone) await alice.page.getByTestId('back').click();
    await chatItem(alice, chat.id).waitFor({ state: 'detached' });
    await alice.page.getByTestId('show-archived').click();
    await chatItem(alice, chat.id).waitFor();
    expect((await aliceApi.api.getChat(chat.id)).chat.archived).toBe(false);
    expect(alice.errors).toEqual([]);
  });
});
