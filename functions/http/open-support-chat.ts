/** `POST /v1/chats/support`: 200 with the caller's open support chat, 201 with a new one. */
import { openSupportChat } from '../domain/support';
import { httpHandler, respond } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('OpenSupportChat'), async ({ principal, body }) => {
  const { chat, created } = await openSupportChat(domainContext(), principal, body);
  return created ? { chat } : respond(200, { chat });
});
