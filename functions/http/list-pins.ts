/** `GET /v1/chats/{chatId}/pins`: pinned messages, most recently pinned first. */
import { listPins } from '../domain/pins';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('ListPins'), async ({ principal, params }) => listPins(domainContext(), principal, params.chatId));
