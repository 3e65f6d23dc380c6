/**
 * Issue 16: `npm test` works on a fresh machine without Chromium (the
 * browser suites are left out with one line saying how to enable them),
 * while `CI=true` still requires them (`vitest.config.ts`).
 *
 * "A fresh machine" without uninstalling anything: vitest runs in a mount
 * namespace (`unshare -m`, root only; CI runs as root) where `/usr/bin` is
 * an overlay whose upper layer holds a whiteout for `chromium`, so the
 * binary is gone for that one command. `vitest list` resolves the config
 * and the test files without running them (and without starting a stack).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const vitest = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

function canUnshare(): boolean {
  try {
    execFileSync('unshare', ['-m', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The shell lines that hide /usr/bin/chromium inside the namespace (tmpfs for the overlay's upper and work dirs). */
const HIDE_CHROMIUM = [
  'set -e',
  'dir=$(mktemp -d)',
  'mount -t tmpfs tmpfs "$dir"',
  'mkdir "$dir/upper" "$dir/work"',
  'mknod "$dir/upper/chromium" c 0 0',
  'mount -t overlay overlay -o "lowerdir=/usr/bin,upperdir=$dir/upper,workdir=$dir/work" /usr/bin',
  'test ! -e /usr/bin/chromium',
  'set +e',
].join('\n');

interface Run {
  code: number;
  output: string;
}

/** `vitest list --filesOnly test/browser`, optionally in a namespace without Chromium. */
function listBrowserSuites(options: { withoutChromium: boolean; ci: boolean }): Promise<Run> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && !['CI', 'CHROMIUM_PATH', 'CHAT_BROWSER_NOTICE', 'NODE_ENV'].includes(k)),
  );
  if (options.ci) env.CI = 'true';
  const list = `"${process.execPath}" "${vitest}" list --filesOnly test/browser`;
  const script = options.withoutChromium ? `${HIDE_CHROMIUM}\n${list}` : list;
  const command = options.withoutChromium ? ['unshare', ['-m', 'sh', '-c', script]] as const : ['sh', ['-c', script]] as const;
  return new Promise((done) =>
    execFile(command[0], [...command[1]], { cwd: root, env, timeout: 60_000 }, (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: `${stdout}${stderr}`.replace(/\x1b\[[0-9;]*m/g, '') }),
    ),
  );
}

const NOTICE = /^Browser tests \(test\/browser\) skipped: \/usr\/bin\/chromium not found; to run them, install Chromium \(`apt-get install -y chromium`.*$/m;

describe.skipIf(!canUnshare())('browser suites without Chromium', () => {
  it('a developer run leaves them out with one line saying how to enable them', async () => {
    const run = await listBrowserSuites({ withoutChromium: true, ci: false });
    expect(run.output).toMatch(NOTICE);
    expect(run.output.match(/Browser tests \(test\/browser\) skipped/g)).toHaveLength(1);
    expect(run.output).not.toContain('test/browser/chat.test.ts');
    expect(run.code).toBe(0);
  });

  it('CI=true fails at once, naming what is missing', async () => {
    const run = await listBrowserSuites({ withoutChromium: true, ci: true });
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('CI=true requires the browser tests (test/browser), but /usr/bin/chromium is not an executable');
    expect(run.output).not.toContain('test/browser/chat.test.ts');
  });
});

describe.skipIf(!existsSync('/usr/bin/chromium'))('browser suites with Chromium', () => {
  it.each([false, true])('CI=%s: they are part of the run, without the notice', async (ci) => {
    const run = await listBrowserSuites({ withoutChromium: false, ci });
    expect(run.code).toBe(0);
    expect(run.output).toContain('test/browser/chat.test.ts');
    expect(run.output).not.toMatch(NOTICE);
  });
});
