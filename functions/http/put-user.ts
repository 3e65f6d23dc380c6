/** `PUT /v1/users/{userId}` (admin): provision or update a directory entry. */
import { putUser } from '../domain/users';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('PutUser'), async ({ principal, params, body }) => ({
  user: await putUser(domainContext(), params.userId, body, principal),
}));
