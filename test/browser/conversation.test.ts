/**
 * The conversation as every chat app has it (issue 16): search in a chat,
 * date separators, a confirmation before delete, message actions on hover
 * (desktop) or long press (phone) instead of a row under every message, and
 * a phone layout (390 px) with the list and the conversation as separate
 * views and the composer on screen. Desktop and phone screenshots of each.
 *
 * Screenshots: `test-results/browser/conversation-*.png`.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, uniqueId, type TestUser } from '../support/api';
import { confirm, launchBrowser, message, PHONE, screenshot, signIn, type BrowserUser } from '../support/browser';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

const poll = { timeout: 10_000 };

/** A signed-in page with a direct chat from Bob holding `contents`, opened. */
async function chatWith(contents: string[], options: { phone?: boolean } = {}): Promise<{ alice: BrowserUser; bob: TestUser; chatId: string }> {
  const alice = await signIn(browser, uniqueId('alice'), 'Alice', options);
  const bob = await client(uniqueId('bob'), { name: 'Bob' });
  const { chat } = await bob.api.createChat({ type: 'direct', participantIds: [alice.id] });
  for (const content of contents) await bob.api.sendMessage(chat.id, { content });
  await alice.page.locator(`[data-testid="chat-item"][data-chat-id="${chat.id}"]`).click();
  await message(alice.page, contents.at(-1)!).waitFor();
  return { alice, bob, chatId: chat.id };
}

describe('search in a chat', () => {
  it.each([['desktop', false], ['phone', true]] as const)('finds messages by text, marks the term and jumps to a match (%s)', async (screen, phone) => {
    const { alice } = await chatWith(['Apples are ripe', 'The tractor is fixed', 'Pick the apples on Monday', 'Rain tomorrow'], { phone });
    await alice.page.getByTestId('search-toggle').click();
    await alice.page.getByTestId('search-input').fill('apple');
    await alice.page.getByTestId('search-input').press('Enter');
    await expect.poll(() => alice.page.getByTestId('search-status').textContent(), poll).toBe('2 matches');
    // Newest first, the term marked case-insensitively.
    expect(await alice.page.getByTestId('search-result').locator('.content').allTextContents()).toEqual(['Pick the apples on Monday', 'Apples are ripe']);
    expect(await alice.page.getByTestId('search-results').locator('mark').allTextContents()).toEqual(['apple', 'Apple']);
    await screenshot(alice, `conversation-search-${screen}`);

    await alice.page.getByTestId('search-result').last().click();
    await message(alice.page, 'Apples are ripe').and(alice.page.locator('[data-flash="true"]')).waitFor();

    await alice.page.getByTestId('search-input').fill('bananas');
    await alice.page.getByTestId('search-input').press('Enter');
    await expect.poll(() => alice.page.getByTestId('search-status').textContent(), poll).toBe('No messages match “bananas”.');
    expect(await alice.page.getByTestId('search-result').count()).toBe(0);
    expect(alice.errors).toEqual([]);
  });
});

describe('date separators', () => {
  it('puts one separator before each day: Today, and Yesterday when the day has turned', async () => {
    const { alice } = await chatWith(['Good morning', 'Good evening']);
    await expect.poll(() => alice.page.getByTestId('date-separator').allTextContents(), poll).toEqual(['Today']);
    // The separator sits before the day's first message.
    const first = await alice.page.getByTestId('messages').locator(':scope > li').first().getAttribute('data-testid');
    expect(first).toBe('date-separator');
    await screenshot(alice, 'conversation-days-desktop');
    await alice.context.close();

    // The same chat seen a day later (the page's clock moved on; labels are the viewer's local days).
    const later = await browser.newContext({ viewport: { width: 1100, height: 720 } });
    const page = await later.newPage();
    await page.clock.install({ time: Date.now() + 24 * 60 * 60 * 1000 });
    await page.goto(`${(await import('vitest')).inject('stack').baseUrl}/`);
    await page.getByTestId('signin-user-id').fill(alice.id);
    await page.getByTestId('signin-submit').click();
    await page.locator('[data-testid="chat-item"]').first().click();
    await expect.poll(() => page.getByTestId('date-separator').allTextContents(), poll).toEqual(['Yesterday']);
    await later.close();
  });
});

describe('delete', () => {
  it.each([['desktop', false], ['phone', true]] as const)('asks first; Cancel keeps the message, Delete removes it (%s)', async (screen, phone) => {
    const alice = await signIn(browser, uniqueId('alice'), 'Alice', { phone });
    const bob = await client(uniqueId('bob'), { name: 'Bob' });
    const aliceApi = await client(alice.id, { name: 'Alice' });
    const { chat } = await aliceApi.api.createChat({ type: 'direct', participantIds: [bob.id] });
    await aliceApi.api.sendMessage(chat.id, { content: 'Sent too soon' });
    await alice.page.locator(`[data-testid="chat-item"][data-chat-id="${chat.id}"]`).click();
    const item = message(alice.page, 'Sent too soon');
    await item.waitFor();

    const openActions = async () => {
      if (phone) await longPress(alice, 'Sent too soon');
      else await item.hover();
    };
    await openActions();
    await item.getByTestId('delete').click();
    const dialog = alice.page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    expect(await dialog.getByTestId('confirm-text').textContent()).toBe('Delete “Sent too soon”? Everyone in the chat sees “Message deleted” instead.');
    await screenshot(alice, `conversation-delete-confirm-${screen}`);
    await confirm(alice.page, 'cancel');
    expect((await aliceApi.api.listMessages(chat.id, {})).messages[0]!.deletedAt).toBeUndefined();
    await item.waitFor();

    await openActions();
    await item.getByTestId('delete').click();
    await confirm(alice.page, 'ok');
    await alice.page.locator('[data-testid="message"][data-deleted="true"]').waitFor();
    expect((await aliceApi.api.listMessages(chat.id, {})).messages[0]!.deletedAt).toBeTruthy();
    expect(alice.errors).toEqual([]);
  });
});

/** A finger resting on a message's text (touch pointer events, as a phone sends them) for longer than the long-press threshold. */
async function longPress(u: BrowserUser, text: string): Promise<void> {
  const content = message(u.page, text).getByTestId('message-content');
  const init = { pointerType: 'touch', isPrimary: true, bubbles: true, pointerId: 7 };
  await content.dispatchEvent('pointerdown', init);
  await u.page.waitForTimeout(700);
  await content.dispatchEvent('pointerup', init);
}

describe('message actions', () => {
  it('desktop: no row of actions under the messages; they appear over the message under the pointer, or on keyboard focus', async () => {
    const { alice } = await chatWith(['First', 'Second']);
    const actions = alice.page.getByTestId('message-actions');
    await expect.poll(() => actions.count(), poll).toBe(2);
    await alice.page.mouse.move(5, 5);
    for (const bar of await actions.all()) expect(await bar.isVisible()).toBe(false);

    await message(alice.page, 'First').hover();
    expect(await message(alice.page, 'First').getByTestId('message-actions').isVisible()).toBe(true);
    expect(await message(alice.page, 'Second').getByTestId('message-actions').isVisible()).toBe(false);
    // Overlaid on the bubble, not a row that makes it taller.
    expect(await message(alice.page, 'First').getByTestId('message-actions').evaluate((el) => getComputedStyle(el).position)).toBe('absolute');
    await screenshot(alice, 'conversation-actions-hover-desktop');

    // Keyboard: a focused message shows its bar and Tab goes into it; Enter on Reply replies.
    await alice.page.mouse.move(5, 5);
    await message(alice.page, 'First').focus();
    await alice.page.keyboard.press('Tab');
    // Someone else's message: their name (block / unblock, SPEC §9) is a button, first in the tab order.
    if (await message(alice.page, 'First').getByTestId('message-sender').evaluate((el) => el === document.activeElement && el.tagName === 'BUTTON')) {
      await alice.page.keyboard.press('Tab');
    }
    expect(await message(alice.page, 'First').getByTestId('reply').evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await message(alice.page, 'First').getByTestId('message-actions').isVisible()).toBe(true);
    expect(await message(alice.page, 'Second').getByTestId('message-actions').isVisible()).toBe(false);
    await alice.page.keyboard.press('Enter');
    await alice.page.locator('[data-testid="composer-context"][data-mode="reply"]').waitFor();
    expect(alice.errors).toEqual([]);
  });

  it('phone: a long press opens the actions of that message; a tap elsewhere closes them; a short tap does not', async () => {
    const { alice, bob, chatId } = await chatWith(['Hold me', 'Not me'], { phone: true });
    const bar = (text: string) => message(alice.page, text).getByTestId('message-actions');
    expect(await bar('Hold me').isVisible()).toBe(false);

    // A tap is not a long press.
    await message(alice.page, 'Hold me').getByTestId('message-content').tap();
    expect(await bar('Hold me').isVisible()).toBe(false);

    await longPress(alice, 'Hold me');
    await bar('Hold me').waitFor();
    expect(await bar('Not me').isVisible()).toBe(false);
    await screenshot(alice, 'conversation-actions-longpress-phone');

    // Reacting from the opened bar works and closes it.
    await bar('Hold me').locator('[data-testid="react"][data-reaction="like"]').tap();
    await expect.poll(async () => (await bob.api.listMessages(chatId, {})).messages.find((m) => m.content === 'Hold me')!.reactions.like, poll).toEqual([alice.id]);
    await bar('Hold me').waitFor({ state: 'hidden' });
    await message(alice.page, 'Hold me').locator('[data-testid="reaction"][data-reaction="like"]').waitFor();

    await longPress(alice, 'Not me');
    await bar('Not me').waitFor();
    await alice.page.getByTestId('message-scroller').tap({ position: { x: 10, y: 10 } });
    await bar('Not me').waitFor({ state: 'hidden' });
    expect(alice.errors).toEqual([]);
  });
});

describe('phone layout (390 px)', () => {
  it('shows the list, then the conversation with its composer on screen, and goes back', async () => {
    const alice = await signIn(browser, uniqueId('alice'), 'Alice', { phone: true });
    const bob = await client(uniqueId('bob'), { name: 'Bob' });
    const { chat } = await bob.api.createChat({ type: 'direct', participantIds: [alice.id] });
    // 18: under the rate limit of 20 per minute, and more than the screen holds.
    for (let i = 1; i <= 18; i++) await bob.api.sendMessage(chat.id, { content: `Line ${i} of a long conversation` });
    const viewport = PHONE.viewport;

    // The list fills the screen; the conversation is not shown below it.
    const item = alice.page.locator(`[data-testid="chat-item"][data-chat-id="${chat.id}"]`);
    await item.waitFor();
    expect(await alice.page.getByTestId('conversation').isVisible()).toBe(false);
    await screenshot(alice, 'conversation-phone-list');

    await item.tap();
    await message(alice.page, 'Line 18 of a long conversation').waitFor();
    expect(await alice.page.locator('.sidebar').isVisible()).toBe(false);
    // The composer is fully on screen, and so is the newest message, above it.
    const composer = (await alice.page.getByTestId('composer').boundingBox())!;
    expect(composer.y + composer.height).toBeLessThanOrEqual(viewport.height);
    expect(composer.x + composer.width).toBeLessThanOrEqual(viewport.width);
    expect(await alice.page.getByTestId('composer-input').isVisible()).toBe(true);
    const newest = (await message(alice.page, 'Line 18 of a long conversation').boundingBox())!;
    expect(newest.y + newest.height).toBeLessThanOrEqual(composer.y);
    // Nothing wider than the screen.
    expect(await alice.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
    await screenshot(alice, 'conversation-phone-chat');

    // Sending works from there.
    await alice.page.getByTestId('composer-input').fill('On my way');
    await alice.page.getByTestId('send').tap();
    await message(alice.page, 'On my way').waitFor();

    await alice.page.getByTestId('back').tap();
    await item.waitFor();
    expect(await alice.page.getByTestId('conversation').isVisible()).toBe(false);
    expect(alice.errors).toEqual([]);
  });
});
