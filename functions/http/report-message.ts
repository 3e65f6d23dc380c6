/** `POST /v1/chats/{chatId}/messages/{messageId}/reports` (SPEC §9): 201 a new report, 200 the caller's first one. */
import { reportMessage } from '../domain/reports';
import { httpHandler, respond } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('ReportMessage'), async ({ principal, params, body }) => {
  const { report, created } = await reportMessage(domainContext(), principal, params.chatId, params.messageId, body);
  return created ? { report } : respond(200, { report });
});
