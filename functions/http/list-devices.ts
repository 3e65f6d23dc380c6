/** `GET /v1/me/devices`: the caller's push devices. */
import { listDevices } from '../domain/devices';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('ListDevices'), async ({ principal }) => listDevices(domainContext(), principal));
