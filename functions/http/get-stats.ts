/** `GET /v1/stats`: `{chats, unreadChats, unreadMessages}`. */
import { getStats } from '../domain/chats';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('GetStats'), async ({ principal }) => getStats(domainContext(), principal));
