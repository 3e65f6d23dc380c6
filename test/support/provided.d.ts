/** What `inject()` returns in tests (values provided by `./global-setup.ts`). */
import type {} from 'vitest';
import type { StackInfo } from '../../local/launcher';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's local stack; only provided in the `stack` project (integration/e2e tests). */
    stack: StackInfo;
  }
}

export {};
