/** `$default`: frames that are not JSON or name no known action get an `error` frame; the connection stays open. */
import { BadRequestError } from '../domain/errors';
import { wsHandler } from '../lib/ws';
import { wsRoute } from '../routes';

export const handler = wsHandler(wsRoute('$default'), async ({ frame }) => {
  const action = typeof frame.action === 'string' ? frame.action : undefined;
  throw new BadRequestError(action ? `Unknown action "${action.slice(0, 64)}".` : 'The frame has no "action".');
});
