/**
 * Every test is `test/**\/*.test.ts`, in two projects:
 *
 * - `unit`: `test/unit`, `test/cdk`, `test/local`: no local stack (the gateway
 *   tests start their own in-process gateway).
 * - `stack`: everything else (`test/integration`, `test/e2e`, …). Its
 *   globalSetup starts ONE local stack (`local/start.ts`: DynamoDB Local, S3,
 *   issuer, gateway with the real handlers) for the whole run; tests read it
 *   with `inject('stack')` (see `test/support/provided.d.ts`).
 *
 * Splitting them keeps `vitest run test/unit` or `test/local` from paying for
 * (or failing on) a stack they do not use: vitest runs a project's globalSetup
 * only when that project has test files selected.
 *
 * The browser suites (`test/browser`) drive Chromium (`/usr/bin/chromium`, or
 * `CHROMIUM_PATH`). Without it a developer's run leaves them out and prints
 * one line saying how to enable them, so `npm test` works on a fresh machine;
 * with `CI=true` (`.ci/run`) the run fails at once instead, since CI must
 * never pass without them (`test/unit/browser-gate.test.ts`).
 */
import { accessSync, constants } from 'node:fs';
import { configDefaults, defineConfig } from 'vitest/config';

const NO_STACK = ['test/unit/**/*.test.ts', 'test/cdk/**/*.test.ts', 'test/local/**/*.test.ts'];

function hasChromium(): boolean {
  const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  try {
    accessSync(chromium, constants.X_OK);
    return true;
  } catch {
    const ci = !['', '0', 'false'].includes((process.env.CI ?? '').trim().toLowerCase());
    const how = `install Chromium (\`apt-get install -y chromium\`, as .ci/run does) or set CHROMIUM_PATH to a Chromium binary`;
    if (ci) throw new Error(`CI=true requires the browser tests (test/browser), but ${chromium} is not an executable: ${how}.`);
    // Vitest may load this file more than once per run (once per project); say it once.
    if (!process.env.CHAT_BROWSER_NOTICE) process.stdout.write(`Browser tests (test/browser) skipped: ${chromium} not found; to run them, ${how}.\n`);
    process.env.CHAT_BROWSER_NOTICE = '1';
    return false;
  }
}
const browsers = hasChromium();

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 90_000,
    pool: 'forks',
    // Direct stdout/stderr writes of passing tests are dropped; a failing test prints them (test/support/quiet-output.ts).
    setupFiles: ['test/support/quiet-output.ts'],
    // Two cores: files run in parallel, one worker per core.
    fileParallelism: true,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // No X-Ray daemon or Lambda segment here (Powertools also turns tracing off without AWS_EXECUTION_ENV).
      POWERTOOLS_TRACE_ENABLED: 'false',
    },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: NO_STACK },
      },
      {
        extends: true,
        test: {
          name: 'stack',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...NO_STACK, ...(browsers ? [] : ['test/browser/**'])],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
