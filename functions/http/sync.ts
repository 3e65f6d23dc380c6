/** `GET /v1/sync?since=&limit=` (SPEC §7): the events the caller missed. */
import { sync } from '../domain/sync';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('Sync'), async ({ principal, query }) => sync(domainContext(), principal, query));
