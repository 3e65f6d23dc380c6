/** `markRead {chatId, upToSeq?}`: acks with `{lastReadSeq, unreadCount}`. */
import { markRead } from '../domain/messages';
import { domainContext } from '../lib/runtime';
import { wsHandler } from '../lib/ws';
import { wsRoute } from '../routes';

export const handler = wsHandler(wsRoute('markRead'), async ({ frame, principal }) =>
  markRead(domainContext(), principal, frame.chatId, frame.upToSeq),
);
