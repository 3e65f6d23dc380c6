/** `DELETE /v1/me/blocks/{userId}` (SPEC §9): lift a block; idempotent. */
import { unblockUser } from '../domain/blocks';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('UnblockUser'), async ({ principal, params }) => {
  await unblockUser(domainContext(), principal, params.userId);
});
