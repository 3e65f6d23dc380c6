/** `GET /v1/support/stats` (support, admin): counts by status, load per agent, median first response. */
import { supportStats } from '../domain/support';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('SupportStats'), async () => supportStats(domainContext()));
