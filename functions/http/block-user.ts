/** `PUT /v1/me/blocks/{userId}` (SPEC §9): block a user; idempotent. */
import { blockUser } from '../domain/blocks';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('BlockUser'), async ({ principal, params }) => {
  await blockUser(domainContext(), principal, params.userId);
});
