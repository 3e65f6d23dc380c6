/** `DELETE /v1/chats/{chatId}/participants/{userId}`: remove or leave; 204; emits `participant.removed`. */
import { removeParticipant } from '../domain/groups';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('RemoveParticipant'), async ({ principal, params }) => {
  await removeParticipant(domainContext(), principal, params.chatId, params.userId);
});
