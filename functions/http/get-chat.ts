/** `GET /v1/chats/{chatId}`: one chat with participants (participant or admin). */
import { getChat } from '../domain/chats';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('GetChat'), async ({ principal, params }) => ({
  chat: await getChat(domainContext(), principal, params.chatId),
}));
