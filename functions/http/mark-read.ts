/** `POST /v1/chats/{chatId}/read`: moves the read marker forward, emits `messages.read`. */
import { markRead } from '../domain/messages';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('MarkRead'), async ({ principal, params, body }) =>
  markRead(domainContext(), principal, params.chatId, body.upToSeq),
);
