/** `PATCH /v1/moderation/reports/{reportId}` (admin, SPEC §9): close a report, optionally deleting the message or banning its author. */
import { resolveReport } from '../domain/reports';
import { forgetBan } from '../lib/ban-check';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('ResolveReport'), async ({ principal, params, body }) => {
  const result = await resolveReport(domainContext(), principal, params.reportId, body);
  const authorId = (result.report.message as { senderId?: string }).senderId;
  if (body.action === 'ban_user' && authorId) forgetBan(authorId);
  return result;
});
