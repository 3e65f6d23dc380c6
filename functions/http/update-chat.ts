/** `PATCH /v1/chats/{chatId}`: title, metadata, support status; emits `chat.updated`. */
import { updateChat } from '../domain/groups';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('UpdateChat'), async ({ principal, params, body }) => ({
  chat: await updateChat(domainContext(), principal, params.chatId, body),
}));
