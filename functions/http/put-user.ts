/** `PUT /v1/users/{userId}` (admin): provision or update a directory entry; ban or lift a ban (SPEC §9). */
import { putUser } from '../domain/users';
import { forgetBan } from '../lib/ban-check';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('PutUser'), async ({ principal, params, body }) => {
  const user = await putUser(domainContext(), params.userId, body, principal);
  // This container's memory of the ban is stale now; other containers' lapses within BAN_CHECK_SECONDS.
  if (body.banned !== undefined) forgetBan(params.userId);
  return { user };
});
