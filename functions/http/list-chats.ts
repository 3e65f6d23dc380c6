/** `GET /v1/chats`: the caller's chats by latest activity, cursor-paginated. */
import { listChats } from '../domain/chats';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('ListChats'), async ({ principal, query }) =>
  listChats(domainContext(), principal, { ...query, archived: query.archived === 'true' }),
);
