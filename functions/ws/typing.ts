/**
 * `typing {chatId, isTyping}`: relayed to the other participants, never
 * stored; at most one per user and chat every 2 s (SPEC §5). Acks every
 * frame; `relayed: false` says this one was dropped.
 */
import { typing } from '../domain/connections';
import { domainContext } from '../lib/runtime';
import { wsHandler } from '../lib/ws';
import { wsRoute } from '../routes';

export const handler = wsHandler(wsRoute('typing'), async ({ frame, principal }) => typing(domainContext(), principal, frame.chatId, frame.isTyping));
