/** `POST /v1/me/exports`: export the caller's data (SPEC §10); 202 with a pending export. */
import { requestExport } from '../domain/export';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('ExportMe'), async ({ principal }) => ({
  export: await requestExport(domainContext(), principal, principal.userId),
}));
