/** `sendMessage {chatId | to, ...}`: acks with the stored `message` (and the `chat` when sent with `to`). */
import { sendMessage, sendToUser } from '../domain/messages';
import { domainContext } from '../lib/runtime';
import { wsHandler } from '../lib/ws';
import { wsRoute } from '../routes';

export const handler = wsHandler(wsRoute('sendMessage'), async ({ frame, principal }) => {
  const { action: _a, requestId: _r, chatId, to, ...input } = frame;
  if (to !== undefined) return sendToUser(domainContext(), principal, { ...input, to });
  return sendMessage(domainContext(), principal, chatId!, input);
});
