/** `DELETE /v1/me`: erase the caller (SPEC §10); 202 with the erasure, the same one on a repeat. */
import { requestErasure } from '../domain/erasure';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('EraseMe'), async ({ principal }) => ({
  erasure: (await requestErasure(domainContext(), principal, principal.userId)).erasure,
}));
