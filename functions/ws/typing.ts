/** `typing {chatId, isTyping}`: relayed to the other participants, never stored. */
import { typing } from '../domain/connections';
import { domainContext } from '../lib/runtime';
import { wsHandler } from '../lib/ws';
import { wsRoute } from '../routes';

export const handler = wsHandler(wsRoute('typing'), async ({ frame, principal }) => {
  await typing(domainContext(), principal, frame.chatId, frame.isTyping);
});
