/** `PUT /v1/chats/{chatId}/assignee {agentId}`: assign or claim a support chat. */
import { assignChat } from '../domain/support';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('AssignChat'), async ({ principal, params, body }) => ({
  chat: await assignChat(domainContext(), principal, params.chatId, body.agentId),
}));
