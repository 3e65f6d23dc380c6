/** `PUT /v1/chats/{chatId}/messages/{messageId}/pin`: pins a message; emits `message.pinned`. */
import { setPinned } from '../domain/pins';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('PinMessage'), async ({ principal, params }) => setPinned(domainContext(), principal, params.chatId, params.messageId, true));
