/** `DELETE /v1/me/devices/{deviceId}`: removes one of the caller's devices; 204. */
import { removeDevice } from '../domain/devices';
import { httpHandler } from '../lib/http';
import { domainContext } from '../lib/runtime';
import { httpRoute } from '../routes';

export const handler = httpHandler(httpRoute('DeleteDevice'), async ({ principal, params }) => {
  await removeDevice(domainContext(), principal, params.deviceId);
});
