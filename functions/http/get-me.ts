/** `GET /v1/me`: the caller's profile `{user: {id, name, roles}}`. */
import { me } from '../domain/users';
import { httpHandler } from '../lib/http';
// Loaded at init, not on the first request: every call touches the caller's directory entry (lib/http.ts imports the
// repository lazily, so that functions with public routes only never load it).
import '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('GetMe'), async ({ principal }) => ({ user: me(principal) }));
