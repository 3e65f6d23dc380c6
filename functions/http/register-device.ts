/** `PUT /v1/me/devices/{deviceId} {platform, token}`: registers a push token for one of the caller's devices. */
import { registerDevice } from '../domain/devices';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('RegisterDevice'), async ({ principal, params, body }) =>
  registerDevice(domainContext(), principal, params.deviceId, body),
);
