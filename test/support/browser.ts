/**
 * Browser-test helpers: Debian's Chromium driven by playwright-core (no
 * browser downloads), one browser per test file, one context per user.
 *
 * ```ts
 * const browser = await launchBrowser();
 * const alice = await signIn(browser, uniqueId('alice'), 'Alice');
 * await alice.page.getByTestId('composer-input').fill('hi');
 * await screenshot(alice, 'chat');
 * ```
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { inject } from 'vitest';

/** Debian's package (`apt-get install -y chromium`; `.ci/run` installs it when missing), or `CHROMIUM_PATH`. */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** Where screenshots go (gitignored `test-results/`; CI keeps them as artifacts). */
export const SCREENSHOT_DIR = resolve('test-results/browser');
/** Playwright's per-action and per-wait limit: well under the test timeout, so a failure names the step that hung. */
const ACTION_TIMEOUT_MS = 10_000;

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface BrowserUser {
  id: string;
  name: string;
  context: BrowserContext;
  page: Page;
  /** Browser console errors and uncaught page errors, for failure messages. */
  errors: string[];
}

export interface SignInOptions {
  /** Sign in as a support agent. */
  agent?: boolean;
  /** Sign in as an admin (the moderation queue, SPEC §9). */
  admin?: boolean;
  /** Install the WebSocket gate of {@link blockNewWebSockets} (before the app loads, since the SDK keeps the constructor it finds). */
  webSocketGate?: boolean;
  /** A phone: 390 × 844 CSS pixels, touch, mobile viewport (default: a 1100 × 720 desktop window). */
  phone?: boolean;
}

/** The two screens the browser tests look at. */
export const DESKTOP = { viewport: { width: 1100, height: 720 } } as const;
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } as const;

/**
 * Opens the web client in a fresh context (its own sessionStorage), signs in
 * through the form and waits until the socket is open.
 */
export async function signIn(browser: Browser, id: string, name: string, options: SignInOptions = {}): Promise<BrowserUser> {
  const context = await browser.newContext(options.phone ? PHONE : DESKTOP);
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  if (options.webSocketGate) await context.addInitScript(installWebSocketGate);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  await page.goto(`${inject('stack').baseUrl}/`);
  await page.getByTestId('signin-user-id').fill(id);
  await page.getByTestId('signin-name').fill(name);
  if (options.agent) await page.getByTestId('signin-agent').check();
  if (options.admin) await page.getByTestId('signin-admin').check();
  await page.getByTestId('signin-submit').click();
  await connectionState(page, 'open');
  return { id, name, context, page, errors };
}

/**
 * Runs in the page before its scripts: while `window.__blockWebSockets` is
 * true, new WebSockets dial a path the gateway refuses (404), so they fail
 * before opening, as with a lost network; open connections are untouched.
 * (Chromium's offline emulation cannot stand in: it also holds back the
 * close frame of the connection the server drops, so the page never notices.)
 */
function installWebSocketGate() {
  const gate = window as unknown as { __blockWebSockets: boolean; WebSocket: typeof WebSocket };
  const Native = gate.WebSocket;
  gate.__blockWebSockets = false;
  gate.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(gate.__blockWebSockets ? String(url).replace(/\/ws(?=\?|$)/, '/ws-blocked') : url, protocols);
    }
  };
}

/** Closes or opens the gate of a user signed in with `webSocketGate`. */
export async function blockNewWebSockets(user: BrowserUser, blocked: boolean): Promise<void> {
  await user.page.evaluate((value) => {
    (window as unknown as { __blockWebSockets: boolean }).__blockWebSockets = value;
  }, blocked);
}

/** Waits until the status pill shows `state` (`open`, `reconnecting`, …). */
export async function connectionState(page: Page, state: string): Promise<void> {
  await page.locator(`[data-testid="connection-status"][data-state="${state}"]`).waitFor();
}

/** Full-page screenshot `test-results/browser/{name}.png`. */
export async function screenshot(user: BrowserUser, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await user.page.screenshot({ path: resolve(SCREENSHOT_DIR, `${name}.png`) });
}

/** The message list item whose content is exactly `text`. */
export function message(page: Page, text: string) {
  return page.getByTestId('message').filter({ has: page.getByTestId('message-content').getByText(text, { exact: true }) });
}

/**
 * Clicks one of a message's actions (`reply`, `edit`, `delete`, `react`
 * with `data-reaction`): they show only while the pointer is over the
 * message, as for a person with a mouse.
 */
export async function messageAction(page: Page, text: string, action: string, reaction?: string): Promise<void> {
  const item = message(page, text);
  await item.hover();
  const button = reaction ? item.locator(`[data-testid="${action}"][data-reaction="${reaction}"]`) : item.getByTestId(action);
  await button.click();
}

/** Answers the confirmation dialog (web/confirm.ts); resolves with its text. */
export async function confirm(page: Page, answer: 'ok' | 'cancel'): Promise<string> {
  const dialog = page.getByTestId('confirm-dialog');
  await dialog.waitFor();
  const text = (await dialog.getByTestId('confirm-text').textContent()) ?? '';
  await dialog.getByTestId(answer === 'ok' ? 'confirm-ok' : 'confirm-cancel').click();
  await dialog.waitFor({ state: 'hidden' });
  return text;
}
