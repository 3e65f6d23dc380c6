/**
 * The web client after a reconnect (SPEC §7 through the SDK's sync): while
 * Bob's page has no WebSocket, messages are edited, deleted and reacted to,
 * his group is renamed and gains a member, he is removed from another
 * group, and a new chat with him starts (its last message then deleted).
 * When the connection comes back, the page shows all of it without a
 * reload; the chat-list previews follow the edit and the delete (a deleted
 * last message reads "Message deleted"), and the chat he left is gone.
 *
 * Screenshots: `test-results/browser/sync-*.png`.
 */
import type { Browser, Page } from 'playwright-core';
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

const item = (page: Page, chatId: string) => page.locator(`[data-testid="chat-item"][data-chat-id="${chatId}"]`);
const previewOf = (page: Page, chatId: string) => item(page, chatId).getByTestId('chat-preview').textContent();

describe('web client reconnect (sync)', () => {
  it('shows edits, deletes, reactions, renames and membership changes made while it was offline', async () => {
    const bob = await signIn(browser, uniqueId('bob'), 'Bob', { webSocketGate: true });
    const alice = await client(uniqueId('alice'), { name: 'Alice' });
    const carol = await client(uniqueId('carol'), { name: 'Carol' });
    const { chat: team } = await alice.api.createChat({ type: 'group', title: 'Team', participantIds: [bob.id] });
    const { chat: leaving } = await alice.api.createChat({ type: 'group', title: 'Leaving', participantIds: [bob.id] });
    const hello = (await alice.api.sendMessage(team.id, { content: 'hello' })).message;
    const doomed = (await alice.api.sendMessage(team.id, { content: 'to delete' })).message;
    const typo = (await alice.api.sendMessage(team.id, { content: 'to edti' })).message;
    await alice.api.sendMessage(leaving.id, { content: 'bye soon' });

    await item(bob.page, team.id).click();
    await message(bob.page, 'to edti').waitFor();
    await item(bob.page, leaving.id).waitFor();
    await expect.poll(() => previewOf(bob.page, team.id)).toBe('Alice: to edti');

    // Bob loses the network: new connections fail, and the server closes his open one.
    await blockNewWebSockets(bob, true);
    const ids = await connectionIdsOf(bob.id);
    expect(await Promise.all(ids.map(deleteConnection))).toContain(204);
    await connectionState(bob.page, 'reconnecting');

    await alice.api.editMessage(team.id, typo.id, { content: 'to edit' });
    await alice.api.deleteMessage(team.id, doomed.id);
    await alice.api.addReaction(team.id, hello.id, 'like');
    await alice.api.updateChat(team.id, { title: 'Team (renamed)' });
    await alice.api.addParticipants(team.id, { userIds: [carol.id] });
    await alice.api.removeParticipant(leaving.id, bob.id);
    const { chat: fresh } = await alice.api.createChat({ type: 'group', title: 'Fresh', participantIds: [bob.id] });
    await alice.api.sendMessage(fresh.id, { content: 'welcome' });
    const oops = (await alice.api.sendMessage(fresh.id, { content: 'oops, wrong chat' })).message;
    await alice.api.deleteMessage(fresh.id, oops.id);

    // Still offline: the page shows what it knew.
    expect(await bob.page.getByTestId('conversation-title').textContent()).toBe('Team');
    await message(bob.page, 'to edti').waitFor();
    await screenshot(bob, 'sync-offline');

    await blockNewWebSockets(bob, false);
    await connectionState(bob.page, 'open');

    // The open conversation: edit, delete, reaction, rename, new member.
    await message(bob.page, 'to edit').getByTestId('edited').waitFor({ timeout: 20_000 });
    expect(await message(bob.page, 'to edti').count()).toBe(0);
    await bob.page.locator(`[data-testid="message"][data-id="${doomed.id}"][data-deleted="true"]`).waitFor();
    expect(await bob.page.locator(`[data-testid="message"][data-id="${doomed.id}"]`).getByTestId('message-content').textContent()).toBe('Message deleted');
    await message(bob.page, 'hello').locator('[data-testid="reaction"][data-reaction="like"]').waitFor();
    await expect.poll(() => bob.page.getByTestId('conversation-title').textContent()).toBe('Team (renamed)');
    await expect.poll(() => bob.page.getByTestId('conversation-subtitle').textContent()).toBe('3 participants');

    // The chat list: previews follow the edit and the delete; the chat he was removed from is gone; the new one is there.
    await expect.poll(() => previewOf(bob.page, team.id)).toBe('Alice: to edit');
    await expect.poll(() => item(bob.page, team.id).getByTestId('chat-title').textContent()).toBe('Team (renamed)');
    await expect.poll(() => item(bob.page, leaving.id).count()).toBe(0);
    await item(bob.page, fresh.id).waitFor();
    await expect.poll(() => previewOf(bob.page, fresh.id)).toBe('Alice: Message deleted');
    await screenshot(bob, 'sync-caught-up');

    // Live (no reconnect): a preview follows an edit and a delete at once.
    const last = (await alice.api.sendMessage(team.id, { content: 'live one' })).message;
    await expect.poll(() => previewOf(bob.page, team.id)).toBe('Alice: live one');
    await alice.api.editMessage(team.id, last.id, { content: 'live one, edited' });
    await expect.poll(() => previewOf(bob.page, team.id)).toBe('Alice: live one, edited');
    await alice.api.deleteMessage(team.id, last.id);
    await expect.poll(() => previewOf(bob.page, team.id)).toBe('Alice: Message deleted');
    await screenshot(bob, 'sync-live-preview');
    // The only console errors are the refused dials of the offline gate itself.
    expect(bob.errors.filter((e) => !e.includes('/ws-blocked'))).toEqual([]);
  });
});
