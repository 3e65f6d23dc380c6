/** `sendMessage {chatId | to, ...}`: acks with the stored `message`. */
import { sendMessage } from '../domain/messages';
import { BadRequestError } from '../lib/errors';
import { domainContext } from '../lib/runtime';
import { wsHandler } from '../lib/ws';
import { wsRoute } from '../routes';

export const handler = wsHandler(wsRoute('sendMessage'), async ({ frame, principal }) => {
  const { action: _a, requestId: _r, chatId, to: _to, ...input } = frame;
  // `to` (send to a user, creating the direct chat) arrives with the conversations work; until then it is refused clearly.
  if (!chatId) throw new BadRequestError('Sending with "to" is not available yet; give a chatId.');
  return sendMessage(domainContext(), principal, chatId, input);
});
