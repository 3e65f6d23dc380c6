/** `GET /v1/chats/{chatId}/bans` (SPEC §9): the group's bans in force. */
import { listChatBans } from '../domain/chat-bans';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('ListChatBans'), async ({ principal, params }) => listChatBans(domainContext(), principal, params.chatId));
