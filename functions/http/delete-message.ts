/** `DELETE /v1/chats/{chatId}/messages/{messageId}`: soft delete, idempotent. */
import { deleteMessage } from '../domain/messages';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('DeleteMessage'), async ({ principal, params }) =>
  deleteMessage(domainContext(), principal, params.chatId, params.messageId),
);
