/**
 * Moderation in the web client (SPEC §9, issue 18), as people use it:
 * blocking a group member from their name (their messages become "Message
 * from a blocked user", live and in history) and unblocking; reporting a
 * message with a reason; an admin working the moderation queue (delete the
 * message); the owner freezing the group (members can no longer send).
 *
 * Screenshots: `test-results/browser/moderation-*.png`.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, uniqueId } from '../support/api';
import { confirm, launchBrowser, message, messageAction, screenshot, signIn } from '../support/browser';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

const poll = { timeout: 10_000 };

describe('moderation in the web client', () => {
  it('blocks from a name, shows placeholders live and in history, reports, resolves from the admin queue, and freezes', async () => {
    const [alice, root] = await Promise.all([signIn(browser, uniqueId('alice'), 'Alice'), signIn(browser, uniqueId('root'), 'Root', { admin: true })]);
    const [bob, carol] = await Promise.all([client(uniqueId('bob'), { name: 'Bob' }), client(uniqueId('carol'), { name: 'Carol' })]);
    const { chat } = await bob.api.createChat({ type: 'group', participantIds: [alice.id, carol.id], title: 'Market' });
    await bob.api.sendMessage(chat.id, { content: 'Fresh eggs for sale' });
    await carol.api.sendMessage(chat.id, { content: 'I will take a dozen' });

    await alice.page.locator(`[data-testid="chat-item"][data-chat-id="${chat.id}"]`).click();
    await message(alice.page, 'Fresh eggs for sale').waitFor();

    // Report Bob's message with a reason.
    await messageAction(alice.page, 'Fresh eggs for sale', 'report');
    const dialog = alice.page.getByTestId('report-dialog');
    await dialog.waitFor();
    await dialog.getByTestId('report-reason').selectOption('spam');
    await dialog.getByTestId('report-details').fill('Keeps advertising');
    await dialog.getByTestId('report-submit').click();
    await expect.poll(() => alice.page.getByTestId('composer-error').textContent(), poll).toContain('Reported');

    // Block Bob from his name: his message becomes a placeholder, Carol's stays.
    await message(alice.page, 'Fresh eggs for sale').getByTestId('message-sender').click();
    expect(await confirm(alice.page, 'ok')).toContain('Block Bob');
    await alice.page.locator('[data-testid="message"][data-hidden="true"]').waitFor();
    await expect.poll(() => alice.page.locator('[data-testid="message"][data-hidden="true"] [data-testid="message-content"]').textContent(), poll).toBe('Message from a blocked user');
    await message(alice.page, 'I will take a dozen').waitFor();
    // Live: Bob's next message arrives as a placeholder too.
    await bob.api.sendMessage(chat.id, { content: 'Also selling milk' });
    await expect.poll(() => alice.page.locator('[data-testid="message"][data-hidden="true"]').count(), poll).toBe(2);
    expect(await alice.page.getByText('Also selling milk').count()).toBe(0);
    await screenshot(alice, 'moderation-blocked');

    // Unblock: everything shows again.
    await alice.page.locator('[data-testid="message"][data-hidden="true"]').first().getByTestId('message-sender').click();
    expect(await confirm(alice.page, 'ok')).toContain('Unblock Bob');
    await message(alice.page, 'Also selling milk').waitFor();

    // The admin's queue lists the report; deleting the message resolves it.
    await root.page.getByTestId('moderation-refresh').click();
    const report = root.page.locator('[data-testid="report"]', { hasText: 'Fresh eggs for sale' });
    await report.waitFor();
    expect(await report.getAttribute('data-reason')).toBe('spam');
    await screenshot(root, 'moderation-queue');
    await report.getByTestId('report-delete').click();
    await confirm(root.page, 'ok');
    await expect.poll(() => root.page.locator('[data-testid="report"]', { hasText: 'Fresh eggs for sale' }).count(), poll).toBe(0);
    await expect.poll(async () => (await alice.page.locator('[data-testid="message"][data-deleted="true"]').count()), poll).toBe(1);

    // Bob (the owner) freezes the group over the API; Alice's composer turns read-only. Alice, a member, has no freeze control.
    await alice.page.getByTestId('details-toggle').click();
    expect(await alice.page.getByTestId('freeze-toggle').count()).toBe(0);
    await bob.api.updateChat(chat.id, { frozen: true });
    await alice.page.getByTestId('frozen-note').waitFor();
    expect(await alice.page.getByTestId('send').isDisabled()).toBe(true);
    expect(alice.errors).toEqual([]);
  });

  it('lets the owner freeze and unfreeze the group from the details panel', async () => {
    const owner = await signIn(browser, uniqueId('owner'), 'Owner');
    const mia = await client(uniqueId('mia'), { name: 'Mia' });
    await owner.page.locator('summary', { hasText: 'New chat' }).click();
    await owner.page.getByTestId('new-group-title').fill('Own crew');
    await owner.page.getByTestId('new-group-users').fill(mia.id);
    await owner.page.getByTestId('new-group-submit').click();
    await expect.poll(() => owner.page.getByTestId('conversation-title').textContent(), poll).toBe('Own crew');
    const chatId = (await owner.page.getByTestId('conversation').getAttribute('data-chat-id'))!;
    await owner.page.getByTestId('details-toggle').click();
    await owner.page.getByTestId('freeze-toggle').click();
    await expect.poll(() => owner.page.getByTestId('freeze-toggle').getAttribute('aria-pressed'), poll).toBe('true');
    await expect(mia.api.sendMessage(chatId, { content: 'x' })).rejects.toMatchObject({ status: 403, code: 'chat_frozen' });
    await owner.page.getByTestId('freeze-toggle').click();
    await expect.poll(() => owner.page.getByTestId('freeze-toggle').getAttribute('aria-pressed'), poll).toBe('false');
    expect((await mia.api.sendMessage(chatId, { content: 'thawed' })).message.content).toBe('thawed');
    expect(owner.errors).toEqual([]);
  });
});
