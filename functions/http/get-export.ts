/** `GET /v1/exports/{exportId}`: an export's status and, once done, its presigned download (SPEC §10). */
import { getExport } from '../domain/export';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('GetExport'), async ({ principal, params }) => ({
  export: await getExport(domainContext(), principal, params.exportId),
}));
