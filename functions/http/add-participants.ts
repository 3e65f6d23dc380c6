/** `POST /v1/chats/{chatId}/participants {userIds, role?}`: emits `participants.added`. */
import { addParticipants } from '../domain/groups';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('AddParticipants'), async ({ principal, params, body }) => ({
  chat: await addParticipants(domainContext(), principal, params.chatId, body),
}));
