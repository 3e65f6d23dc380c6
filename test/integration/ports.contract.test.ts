/**
 * One contract, two implementations: the in-memory fake of the unit tests
 * and the DynamoDB stores on DynamoDB Local answer every port method alike
 * (`test/support/port-contract`).
 */
import { createRepository } from '../../functions/data/repository';
import { freshTable } from '../support/dynamo';
import { MemoryRepository } from '../support/memory';
import { describePortContract } from '../support/port-contract';

describePortContract('the in-memory fake', () => new MemoryRepository());
describePortContract('DynamoDB', async () => createRepository(await freshTable()));
