/** `GET /v1/erasures/{erasureId}`: an erasure's progress, for admins and the erased user (SPEC §10). */
import { getErasure } from '../domain/erasure';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('GetErasure'), async ({ principal, params }) => ({
  erasure: await getErasure(domainContext(), principal, params.erasureId),
}));
