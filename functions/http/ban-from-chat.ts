/** `POST /v1/chats/{chatId}/bans` (SPEC §9): ban a user from a group; removes them. */
import { banFromChat } from '../domain/chat-bans';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('BanFromChat'), async ({ principal, params, body }) => banFromChat(domainContext(), principal, params.chatId, body));
