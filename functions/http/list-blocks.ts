/** `GET /v1/me/blocks` (SPEC §9): the users the caller blocks. */
import { listBlocks } from '../domain/blocks';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('ListBlocks'), async ({ principal }) => listBlocks(domainContext(), principal));
