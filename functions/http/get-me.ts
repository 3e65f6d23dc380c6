/** `GET /v1/me`: the caller's profile `{user: {id, name, roles}}`. */
import { me } from '../domain/users';
import { httpHandler } from '../lib/http';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('GetMe'), async ({ principal }) => ({ user: me(principal) }));
