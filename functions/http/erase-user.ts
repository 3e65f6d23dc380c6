/** `DELETE /v1/users/{userId}` (admin): erase a user (SPEC §10); 202 with the erasure, the same one on a repeat. */
import { requestErasure } from '../domain/erasure';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('EraseUser'), async ({ principal, params }) => ({
  erasure: (await requestErasure(domainContext(), principal, params.userId)).erasure,
}));
