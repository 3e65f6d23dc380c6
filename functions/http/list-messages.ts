/** `GET /v1/chats/{chatId}/messages`: a page of history, ascending by seq. */
import { listMessages } from '../domain/messages';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('ListMessages'), async ({ principal, params, query }) =>
  listMessages(domainContext(), principal, params.chatId, query),
);
