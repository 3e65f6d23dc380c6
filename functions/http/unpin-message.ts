/** `DELETE /v1/chats/{chatId}/messages/{messageId}/pin`: unpins a message; emits `message.pinned` (`pinned: false`). */
import { setPinned } from '../domain/pins';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('UnpinMessage'), async ({ principal, params }) => setPinned(domainContext(), principal, params.chatId, params.messageId, false));
