/**
 * The web client (`web/`, served at `GET /` by the local stack) in Chromium:
 * two users in two browser contexts chat both ways and see each other's
 * typing, read receipts, edits, deletes, reactions, replies and images.
 *
 * Screenshots: `test-results/browser/chat-*.png`.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueId } from '../support/api';
import { confirm, launchBrowser, message, messageAction, screenshot, signIn, type BrowserUser } from '../support/browser';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** Closing the browser at the end closes every user's context too. */
const user = (prefix: string, name: string) => signIn(browser, uniqueId(prefix), name);

/** Alice starts a direct chat with Bob from the sidebar form; resolves with the chat id. */
async function startDirect(from: BrowserUser, to: BrowserUser): Promise<string> {
  await from.page.locator('summary', { hasText: 'New chat' }).click();
  await from.page.getByTestId('new-direct-user').fill(to.id);
  await from.page.getByTestId('new-direct-submit').click();
  await expect.poll(() => from.page.getByTestId('conversation-title').textContent(), { timeout: 10_000 }).toBe(to.name);
  const chatId = await from.page.getByTestId('conversation').getAttribute('data-chat-id');
  expect(chatId).toBeTruthy();
  return chatId!;
}

async function send(u: BrowserUser, text: string) {
  await u.page.getByTestId('composer-input').fill(text);
  await u.page.getByTestId('composer-input').press('Enter');
  await message(u.page, text).waitFor();
}

describe('web client', () => {
  it('serves the page, signs in, stays signed in across a reload, signs out', async () => {
    const alice = await user('alice', 'Alice');
    await expect.poll(() => alice.page.getByTestId('me-name').textContent()).toBe('Alice');

    await alice.page.reload();
    await alice.page.locator('[data-testid="connection-status"][data-state="open"]').waitFor();
    expect(await alice.page.getByTestId('me-id').textContent()).toBe(alice.id);
    expect(await alice.page.getByTestId('signin-view').isHidden()).toBe(true);

    await alice.page.getByTestId('signout').click();
    await alice.page.getByTestId('signin-form').waitFor();
    expect(await alice.page.getByTestId('app-view').isHidden()).toBe(true);
    expect(alice.errors).toEqual([]);
  });

  it('chats both ways: unread badge, presence, typing, read receipts, reply, edit, reactions, delete', async () => {
    const [alice, bob] = await Promise.all([user('alice', 'Alice'), user('bob', 'Bob')]);
    const chatId = await startDirect(alice, bob);
    await send(alice, 'Hello Bob');
    // Bob has not read it yet: one tick.
    await message(alice.page, 'Hello Bob').locator('[data-testid="receipt"][data-state="sent"]').waitFor();

    // Bob's list shows the new chat with an unread badge and Alice online.
    const item = bob.page.locator(`[data-testid="chat-item"][data-chat-id="${chatId}"]`);
    await expect.poll(() => item.getByTestId('unread-badge').textContent()).toBe('1');
    await item.locator('[data-testid="presence-dot"][data-online="true"]').waitFor();
    expect(await item.getByTestId('chat-title').textContent()).toBe('Alice');

    // Opening the chat reads it: the badge goes and Alice sees two ticks.
    await item.click();
    await message(bob.page, 'Hello Bob').waitFor();
    await item.getByTestId('unread-badge').waitFor({ state: 'detached' });
    await message(alice.page, 'Hello Bob').locator('[data-testid="receipt"][data-state="read"]').waitFor();

    // Typing shows on the other side, and the message replaces it.
    await bob.page.getByTestId('composer-input').pressSequentially('Hi Al');
    await expect.poll(() => alice.page.getByTestId('typing-indicator').textContent()).toBe('Bob is typing…');
    await screenshot(alice, 'chat-typing');
    await bob.page.getByTestId('composer-input').pressSequentially('ice');
    await bob.page.getByTestId('composer-input').press('Enter');
    await message(alice.page, 'Hi Alice').waitFor();
    await expect.poll(() => alice.page.getByTestId('typing-indicator').textContent()).toBe('');

    // Reply: Bob sees Alice's message with a quote of his.
    await messageAction(alice.page, 'Hi Alice', 'reply');
    await alice.page.locator('[data-testid="composer-context"][data-mode="reply"]').waitFor();
    await send(alice, 'Glad you are here');
    await expect.poll(() => message(bob.page, 'Glad you are here').getByTestId('reply-quote').textContent()).toBe('You: Hi Alice');
    // Bob has the chat open, so a message arriving now is read at once.
    await message(alice.page, 'Glad you are here').locator('[data-testid="receipt"][data-state="read"]').waitFor();

    // Edit: Bob sees the new text marked as edited.
    await messageAction(alice.page, 'Hello Bob', 'edit');
    await expect.poll(() => alice.page.getByTestId('composer-input').inputValue()).toBe('Hello Bob');
    await alice.page.getByTestId('composer-input').fill('Hello Bob, welcome');
    await alice.page.getByTestId('composer-input').press('Enter');
    const edited = message(bob.page, 'Hello Bob, welcome');
    await edited.getByTestId('edited').waitFor();
    expect(await message(bob.page, 'Hello Bob').count()).toBe(0);

    // Reactions: counts and toggling show on the other side.
    await messageAction(bob.page, 'Glad you are here', 'react', 'like');
    await messageAction(bob.page, 'Glad you are here', 'react', '🎉');
    const aliceLike = message(alice.page, 'Glad you are here').locator('[data-testid="reaction"][data-reaction="like"]');
    await expect.poll(() => aliceLike.textContent()).toBe('👍 1');
    await message(alice.page, 'Glad you are here').locator('[data-testid="reaction"][data-reaction="🎉"]').waitFor();
    await aliceLike.click(); // Alice likes it too
    await expect.poll(() => message(bob.page, 'Glad you are here').locator('[data-testid="reaction"][data-reaction="like"]').textContent()).toBe('👍 2');
    await message(bob.page, 'Glad you are here').locator('[data-testid="reaction"][data-reaction="🎉"]').click(); // Bob takes his 🎉 back
    await message(alice.page, 'Glad you are here').locator('[data-testid="reaction"][data-reaction="🎉"]').waitFor({ state: 'detached' });
    await screenshot(bob, 'chat-reactions');

    // Delete: Bob sees the soft-deleted message in place.
    await messageAction(alice.page, 'Hello Bob, welcome', 'delete');
    expect(await confirm(alice.page, 'ok')).toContain('Hello Bob, welcome');
    await bob.page.locator('[data-testid="message"][data-deleted="true"]').filter({ hasText: 'Message deleted' }).waitFor();
    expect(await edited.count()).toBe(0);
    await screenshot(alice, 'chat-alice');
    await screenshot(bob, 'chat-bob');
    expect([...alice.errors, ...bob.errors]).toEqual([]);
  });

  it('uploads an image that the other side displays', async () => {
    const [alice, bob] = await Promise.all([user('alice', 'Alice'), user('bob', 'Bob')]);
    const chatId = await startDirect(alice, bob);
    await bob.page.locator(`[data-testid="chat-item"][data-chat-id="${chatId}"]`).click();

    // A real PNG (64×48), drawn by the browser itself.
    const dataUrl = await alice.page.evaluate(() => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 48;
      const g = canvas.getContext('2d')!;
      g.fillStyle = '#2563eb';
      g.fillRect(0, 0, 64, 48);
      return canvas.toDataURL('image/png');
    });
    const png = Buffer.from(dataUrl.split(',')[1], 'base64');
    await alice.page.getByTestId('file-input').setInputFiles({ name: 'field.png', mimeType: 'image/png', buffer: png });
    await alice.page.locator('[data-testid="pending-attachment"][data-state="ready"]').waitFor();
    await send(alice, 'Our field');

    const image = message(bob.page, 'Our field').getByTestId('attachment-image');
    await image.waitFor();
    // Loaded from the presigned S3 URL, with the uploaded dimensions.
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => (img.complete ? `${img.naturalWidth}x${img.naturalHeight}` : 'loading'))).toBe('64x48');
    expect(await image.getAttribute('alt')).toBe('field.png');
    expect(await alice.page.getByTestId('pending-attachment').count()).toBe(0);
    await screenshot(bob, 'chat-image');
    expect([...alice.errors, ...bob.errors]).toEqual([]);
  });
});
