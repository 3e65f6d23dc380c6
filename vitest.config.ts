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
 */
import { configDefaults, defineConfig } from 'vitest/config';

const NO_STACK = ['test/unit/**/*.test.ts', 'test/cdk/**/*.test.ts', 'test/local/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 90_000,
    pool: 'forks',
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
          exclude: [...configDefaults.exclude, ...NO_STACK],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
