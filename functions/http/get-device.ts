/** `GET /v1/me/devices/{deviceId}`: one of the caller's devices. */
import { getDevice } from '../domain/devices';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('GetDevice'), async ({ principal, params }) => getDevice(domainContext(), principal, params.deviceId));
