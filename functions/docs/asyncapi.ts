/**
 * The AsyncAPI 3.0 document of the WebSocket API, generated from the route
 * table's WebSocket routes (client actions, their frame schemas and the
 * frames that answer them: `wsAnswers()` in `functions/contract.ts`) and the
 * server event schemas (`ServerEvents` in `schemas.ts`). Served at
 * `GET /asyncapi.json`.
 */
import { wsAnswers } from '../contract';
import { wsRoutes, type WsRoute } from '../routes';
import { ServerEvents } from '../schemas';
import { jsonSchema } from './json-schema';

/** The connection URL as AsyncAPI servers spell it: `wss://{id}.execute-api.{region}.amazonaws.com/prod` on AWS, `ws://127.0.0.1:3000/ws` locally. */
function servers(url: string | undefined) {
  if (!url) return {};
  const { host, pathname, protocol } = new URL(url);
  const name = protocol === 'wss:' ? 'production' : 'local';
  return { servers: { [name]: { host, pathname, protocol: protocol.replace(':', ''), security: [{ $ref: '#/components/securitySchemes/token' }] } } };
}

/** Summaries of the answers every action shares. */
const SHARED_ANSWERS: Record<string, string> = {
  error: 'The action failed, was invalid or unknown: the same `code` and `detail` as an HTTP problem.',
  gateway: 'API Gateway\'s own answer when the action\'s function failed or timed out (no `type`).',
};

export function asyncApiDocument(options: { version: string; url?: string }) {
  const actions = (wsRoutes as readonly WsRoute[]).filter((r) => r.frame);
  const messages: Record<string, unknown> = {};
  const ref = (name: string) => ({ $ref: `#/channels/chat/messages/${name}` });
  const channel = { $ref: '#/channels/chat' };
  const operations: Record<string, unknown> = {};
  for (const route of actions) {
    messages[route.routeKey] = { name: route.routeKey, summary: route.summary, payload: jsonSchema(route.frame!, 'input') };
    const replies: string[] = [];
    for (const answer of wsAnswers(route)) {
      const name = answer.type === 'ack' || answer.type === 'pong' ? `${route.routeKey}.${answer.type}` : `answer.${answer.type}`;
      messages[name] ??= { name, ...(SHARED_ANSWERS[answer.type] ? { summary: SHARED_ANSWERS[answer.type] } : {}), payload: jsonSchema(answer.schema, 'output') };
      replies.push(name);
    }
    operations[route.routeKey] = { action: 'send', channel, summary: route.summary, messages: [ref(route.routeKey)], reply: { channel, messages: replies.map(ref) } };
  }
  for (const [type, schema] of Object.entries(ServerEvents)) {
    messages[`event.${type}`] = { name: type, payload: jsonSchema(schema, 'output') };
  }
  operations.receiveEvents = { action: 'receive', channel, messages: Object.keys(ServerEvents).map((t) => ref(`event.${t}`)) };
  return {
    asyncapi: '3.0.0' as const,
    info: {
      title: 'Serverless chat WebSocket API',
      version: options.version,
      description:
        'Connect with `?token=<JWT>`; a bad token refuses the upgrade with 401 and an `application/problem+json` body. Client frames are JSON with an `action` and an optional `requestId`; each is answered (its operation\'s `reply`) with `ack` or `pong`, or with an `error` frame carrying the same `code` and `detail` as an HTTP problem, echoing that `requestId`. Events reach every open connection of every participant (SPEC §6). API Gateway limits: 32 KB per frame, 128 KB per message, 10 minutes idle, 2 hours per connection.',
    },
    ...servers(options.url),
    channels: { chat: { title: 'The connection', messages } },
    operations,
    components: {
      securitySchemes: {
        token: {
          type: 'httpApiKey',
          name: 'token',
          in: 'query',
          description: 'The bearer JWT (the same as the HTTP API\'s), as `?token=` on the upgrade request: browsers cannot set headers on a WebSocket upgrade.',
        },
      },
    },
  };
}
