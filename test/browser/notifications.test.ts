/**
 * The web client's notification and pin features (issue 17): the per-chat
 * notification menu, @-mention autocomplete from the participants with the
 * mention highlighted, the unread-mention badge in the chat list, and
 * pin/unpin with the pinned bar; at desktop and phone widths.
 *
 * Screenshots: `test-results/browser/notifications-*.png`.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueId } from '../support/api';
import { launchBrowser, message, messageAction, screenshot, signIn, type BrowserUser } from '../support/browser';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

const poll = { timeout: 10_000 };
const chatItem = (u: BrowserUser, chatId: string) => u.page.locator(`[data-testid="chat-item"][data-chat-id="${chatId}"]`);

async function openChat(u: BrowserUser, chatId: string): Promise<void> {
  await chatItem(u, chatId).click();
  await u.page.locator(`[data-testid="conversation"][data-chat-id="${chatId}"]`).waitFor();
}

describe('notifications and pins in the web client', () => {
  it('mentions with autocomplete and a badge, the notification menu, pins and the pinned bar', async () => {
    const [alice, bob] = await Promise.all([signIn(browser, uniqueId('alice'), 'Alice'), signIn(browser, uniqueId('bob'), 'Bob', { phone: true })]);

    // Alice creates a group with Bob and opens it.
    await alice.page.locator('summary', { hasText: 'New chat' }).click();
    await alice.page.getByTestId('new-group-title').fill('Orchard');
    await alice.page.getByTestId('new-group-users').fill(bob.id);
    await alice.page.getByTestId('new-group-submit').click();
    await expect.poll(() => alice.page.getByTestId('conversation-title').textContent(), poll).toBe('Orchard');
    const chatId = (await alice.page.getByTestId('conversation').getAttribute('data-chat-id'))!;

    // Typing "@B" offers Bob; picking him inserts "@Bob " and sends him as a mention, highlighted.
    const input = alice.page.getByTestId('composer-input');
    await input.click();
    await input.pressSequentially('Ready, @B');
    await expect.poll(() => alice.page.getByTestId('mention-suggestion').count(), poll).toBe(1);
    expect(await alice.page.getByTestId('mention-suggestion').getAttribute('data-user-id')).toBe(bob.id);
    await alice.page.getByTestId('mention-suggestion').click();
    expect(await input.inputValue()).toBe('Ready, @Bob ');
    await input.pressSequentially('?');
    await input.press('Enter');
    const sent = alice.page.getByTestId('message').last();
    await expect.poll(() => sent.getByTestId('mention').textContent(), poll).toBe('@Bob');

    // Bob's list shows the unread mention; opening the chat shows it highlighted for him, and reading clears the badge.
    await expect.poll(() => chatItem(bob, chatId).getByTestId('mention-badge').textContent(), poll).toBe('@1');
    await screenshot(bob, 'notifications-mention-badge-phone');
    await openChat(bob, chatId);
    await expect.poll(() => bob.page.getByTestId('message').last().getAttribute('data-mentioned'), poll).toBe('true');
    await expect.poll(() => chatItem(bob, chatId).getByTestId('mention-badge').count(), poll).toBe(0);

    // Bob mutes the chat from its details: the menu shows the level, and the server has it.
    await bob.page.getByTestId('details-toggle').click();
    await bob.page.getByTestId('notify-mentions').click();
    await expect.poll(() => bob.page.getByTestId('notification-level').getAttribute('data-level'), poll).toBe('mentions');
    expect(await bob.page.getByTestId('notify-mentions').getAttribute('aria-pressed')).toBe('true');
    await bob.page.getByTestId('details-close').click();

    // Alice (the owner) pins her message: both see the pinned bar; Bob, a member, has no pin action.
    await sent.hover();
    await sent.getByTestId('pin').click();
    await expect.poll(() => alice.page.getByTestId('pinned-latest').textContent(), poll).toContain('Ready, @Bob ?');
    await expect.poll(() => bob.page.getByTestId('pinned-count').textContent(), poll).toBe('1 pinned');
    expect(await bob.page.getByTestId('pin').count()).toBe(0);
    await screenshot(alice, 'notifications-pinned-desktop');
    await sent.hover();
    await sent.getByTestId('unpin').click();
    await expect.poll(() => bob.page.getByTestId('pinned-bar').isHidden(), poll).toBe(true);

    // An edit can add a mention (with the same autocomplete) and drop one: Bob's highlight follows.
    await input.pressSequentially('Plain note');
    await input.press('Enter');
    await message(alice.page, 'Plain note').waitFor();
    await messageAction(alice.page, 'Plain note', 'edit');
    await input.press('End');
    await input.pressSequentially(' for @B');
    await expect.poll(() => alice.page.getByTestId('mention-suggestion').count(), poll).toBe(1);
    await alice.page.getByTestId('mention-suggestion').click();
    await input.press('Enter');
    const note = message(bob.page, 'Plain note for @Bob');
    await expect.poll(() => note.getAttribute('data-mentioned'), poll).toBe('true');
    await messageAction(alice.page, 'Plain note for @Bob', 'edit');
    await input.fill('Plain note, no one');
    await input.press('Enter');
    await expect.poll(() => message(bob.page, 'Plain note, no one').getAttribute('data-mentioned'), poll).toBe(null);

    expect([...alice.errors, ...bob.errors]).toEqual([]);
    await Promise.all([alice.context.close(), bob.context.close()]);
  }, 90_000);
});
