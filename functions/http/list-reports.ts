/** `GET /v1/moderation/reports` (admin, SPEC §9): the moderation queue, open first, oldest first. */
import { listReports } from '../domain/reports';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('ListReports'), async ({ principal, query }) => listReports(domainContext(), principal, query));
