/** `POST /v1/chats/{chatId}/messages`: stores the message, then emits `message.new`. */
import { sendMessage } from '../domain/messages';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('SendMessage'), async ({ principal, params, body }) =>
  sendMessage(domainContext(), principal, params.chatId, body),
);
