/** `PATCH /v1/chats/{chatId}/messages/{messageId} {content, mentions?}`: author only, within the edit window. */
import { editMessage } from '../domain/messages';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('EditMessage'), async ({ principal, params, body }) =>
  editMessage(domainContext(), principal, params.chatId, params.messageId, body.content, body.mentions),
);
