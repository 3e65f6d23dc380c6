/** `DELETE /v1/chats/{chatId}/bans/{userId}` (SPEC §9): lift a group ban; idempotent. */
import { unbanFromChat } from '../domain/chat-bans';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('UnbanFromChat'), async ({ principal, params }) => {
  await unbanFromChat(domainContext(), principal, params.chatId, params.userId);
});
