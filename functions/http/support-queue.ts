/** `GET /v1/support/chats` (support, admin): the support queue. */
import { supportQueue } from '../domain/support';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('SupportQueue'), async ({ principal, query }) =>
  supportQueue(domainContext(), principal, { ...query, unassigned: query.unassigned === 'true' }),
);
