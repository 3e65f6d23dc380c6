/** `POST /v1/chats`: 201 with a new chat, 200 with the existing direct/context chat. */
import { createChat } from '../domain/chats';
import { httpHandler, respond } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('CreateChat'), async ({ principal, body }) => {
  const { chat, created } = await createChat(domainContext(), principal, body);
  return created ? { chat } : respond(200, { chat });
});
