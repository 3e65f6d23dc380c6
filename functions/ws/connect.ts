/** `$connect`: authenticates `?token=` and records the connection (401 refuses the upgrade). */
import { CONNECTION_TTL_SECONDS } from '../config';
import { connect } from '../domain/connections';
import { domainContext } from '../lib/runtime';
import { wsConnectHandler } from '../lib/ws';

export const handler = wsConnectHandler(async (principal, event) => {
  await connect(domainContext(), principal, event.requestContext.connectionId, CONNECTION_TTL_SECONDS);
});
