/** `GET /v1/users/{userId}`: public profile; roles and presence for people who share a chat with them, and admins. */
import { getUser } from '../domain/users';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('GetUser'), async ({ params, principal }) => ({ user: await getUser(domainContext(), principal, params.userId) }));
