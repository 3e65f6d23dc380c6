/** `DELETE /v1/chats/{chatId}/messages/{messageId}/reactions/{reaction}`: remove the caller's reaction. */
import { setReaction } from '../domain/reactions';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('RemoveReaction'), async ({ principal, params }) =>
  setReaction(domainContext(), principal, params.chatId, params.messageId, params.reaction, false),
);
