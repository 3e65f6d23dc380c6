/** `ping {}`: answers `{type:"pong"}` (the route's `answer`) so clients can keep the connection under API Gateway's 10-minute idle timeout. */
import { wsHandler } from '../lib/ws';
import { wsRoute } from '../routes';

export const handler = wsHandler(wsRoute('ping'), async () => undefined);
