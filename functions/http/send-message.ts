/** `POST /v1/chats/{chatId}/messages`: 201 with the stored message, 200 when `clientMessageId` replays one. */
import { sendMessage } from '../domain/messages';
import { httpHandler, respond } from '../lib/http';
import { count } from '../lib/metrics';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('SendMessage'), async ({ principal, params, body }) => {
  const { message, replayed } = await sendMessage(domainContext(), principal, params.chatId, body);
  if (replayed) return respond(200, { message });
  count('MessagesSent');
  return { message };
});
