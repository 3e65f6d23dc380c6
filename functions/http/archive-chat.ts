/** `PUT /v1/chats/{chatId}/archive {archived}`: the caller's own flag. */
import { archiveChat } from '../domain/groups';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('ArchiveChat'), async ({ principal, params, body }) => ({
  chat: await archiveChat(domainContext(), principal, params.chatId, body.archived),
}));
