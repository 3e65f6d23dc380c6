/** `POST /v1/chats/{chatId}/attachments {filename, contentType, size}`: 201 with a presigned upload. */
import { createAttachment } from '../domain/attachments';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('CreateAttachment'), async ({ principal, params, body }) =>
  createAttachment(domainContext(), principal, params.chatId, body),
);
