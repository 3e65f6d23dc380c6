/** `POST /v1/users/{userId}/exports` (admin): export a user's data (SPEC §10); 202 with a pending export. */
import { requestExport } from '../domain/export';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('ExportUser'), async ({ principal, params }) => ({
  export: await requestExport(domainContext(), principal, params.userId),
}));
