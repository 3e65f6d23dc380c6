/**
 * How the local stack runs Lambda invocations: many at once, of the same
 * function, in this one process. Lambda itself does that only on Managed
 * Instances, and there its runtime declares it (`AWS_LAMBDA_MAX_CONCURRENCY`,
 * which Powertools reads) and runs every invocation inside the `InvokeStore`
 * (an AsyncLocalStorage). The gateway and the local queue do the same, so
 * per-invocation state such as the Powertools logger's Lambda context and
 * keys stays with its own invocation instead of whichever started last.
 */
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';

/** What the local stack declares as `AWS_LAMBDA_MAX_CONCURRENCY`; nothing enforces it. */
const LOCAL_MAX_CONCURRENCY = 1000;

/** Runs `fn` as the invocation described by `context`. */
export type InvocationScope = <T>(context: Context, fn: () => T) => T;

/**
 * The process-wide invocation scope (one `InvokeStore`, shared through
 * `globalThis.awslambda` as on Lambda). Call it before any handler module
 * logs: with `AWS_LAMBDA_MAX_CONCURRENCY` set, Powertools refuses to log
 * without a store.
 */
export async function invocationScope(): Promise<InvocationScope> {
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= String(LOCAL_MAX_CONCURRENCY);
  const store = await InvokeStore.getInstanceAsync(true);
  return (context, fn) => store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId }, fn);
}
