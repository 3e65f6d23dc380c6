/** `ping {}`: answers `{type:"pong"}` (the route's `answer`) so clients can keep the connection under API Gateway's 10-minute idle timeout. */
import { wsHandler } from '../lib/ws';
// Loaded at init, not on the first frame: every frame looks up its connection (lib/ws.ts imports the repository
// lazily, so that `$default` never loads it).
import '../lib/runtime';
import { wsRoute } from '../routes';

export const handler = wsHandler(wsRoute('ping'), async () => undefined);
