/** `POST /v1/messages {to, ...}`: find or create the direct chat, then send; `{message, chat}`. */
import { sendToUser } from '../domain/messages';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('SendToUser'), async ({ principal, body }) => sendToUser(domainContext(), principal, body));
