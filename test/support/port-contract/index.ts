/**
 * The port contract: what every implementation of the domain's `Repository`
 * (`functions/domain/ports.ts`) must do, written once and run against both
 * the in-memory fake the unit tests use (`test/support/memory.ts`) and the
 * DynamoDB stores on DynamoDB Local (`test/integration/ports.contract.test.ts`).
 * Every method of every store is exercised through the port only, so a fake
 * that drifts from DynamoDB fails here rather than hiding a bug in the unit
 * tests.
 *
 * ```ts
 * describePortContract('in-memory fake', () => new MemoryRepository());
 * describePortContract('DynamoDB Local', async () => createRepository(await freshTable()));
 * ```
 */
import { describe } from 'vitest';
import { changeContract } from './changes';
import { chatContract, membershipContract, userContract } from './chats';
import { connectionContract, rateLimitContract, supportContract } from './desk';
import type { MakeRepository } from './fixtures';
import { governanceContract } from './governance';
import { messageContract } from './messages';
import { moderationContract } from './moderation';
import { deviceContract, notificationStateContract } from './notifications';
import { pinContract } from './pins';

export type { MakeRepository } from './fixtures';

/** One `describe` per store; each builds its own repository with `makeRepo`. */
export function describePortContract(name: string, makeRepo: MakeRepository) {
  describe(`${name} keeps the port contract`, () => {
    userContract(makeRepo);
    chatContract(makeRepo);
    membershipContract(makeRepo);
    messageContract(makeRepo);
    connectionContract(makeRepo);
    supportContract(makeRepo);
    rateLimitContract(makeRepo);
    moderationContract(makeRepo);
    changeContract(makeRepo);
    notificationStateContract(makeRepo);
    deviceContract(makeRepo);
    pinContract(makeRepo);
    governanceContract(makeRepo);
  });
}
