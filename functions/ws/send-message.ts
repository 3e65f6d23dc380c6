/** `sendMessage {chatId | to, ...}`: acks with the stored `message` (and the `chat` when sent with `to`). */
import { sendMessage, sendToUser } from '../domain/messages';
import { count } from '../lib/metrics';
import { domainContext } from '../lib/runtime';
import { wsHandler } from '../lib/ws';
import { wsRoute } from '../routes';

export const handler = wsHandler(wsRoute('sendMessage'), async ({ frame, principal }) => {
  const { chatId, to, ...input } = frame;
  const result = to !== undefined ? await sendToUser(domainContext(), principal, { ...input, to }) : await sendMessage(domainContext(), principal, chatId!, input);
  if (!result.replayed) count('MessagesSent');
  return result;
});
