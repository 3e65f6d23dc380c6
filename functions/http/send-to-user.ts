/** `POST /v1/messages {to, ...}`: find or create the direct chat, then send; `{message, chat}` (201, 200 on replay). */
import { sendToUser } from '../domain/messages';
import { httpHandler, respond } from '../lib/http';
import { count } from '../lib/metrics';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('SendToUser'), async ({ principal, body }) => {
  const { message, chat, replayed } = await sendToUser(domainContext(), principal, body);
  if (replayed) return respond(200, { message, chat });
  count('MessagesSent');
  return { message, chat };
});
