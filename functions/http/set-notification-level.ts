/** `PUT /v1/chats/{chatId}/notifications {level}`: the caller's own notification level for the chat. */
import { setNotificationLevel } from '../domain/notifications';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('SetNotificationLevel'), async ({ principal, params, body }) => ({
  chat: await setNotificationLevel(domainContext(), principal, params.chatId, body.level),
}));
