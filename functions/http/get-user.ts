/** `GET /v1/users/{userId}`: public profile with presence. */
import { getUser } from '../domain/users';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('GetUser'), async ({ principal, params }) => ({ user: await getUser(domainContext(), params.userId, principal) }));
