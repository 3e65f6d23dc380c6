/**
 * The AsyncAPI 3.0 document of the WebSocket API, generated from the route
 * table's WebSocket routes (client actions and their frame schemas) and the
 * server event schemas (`ServerEvents` in `schemas.ts`). Served at
 * `GET /asyncapi.json`.
 */
import * as z from 'zod';
import { wsRoutes } from '../routes';
import { ServerEvents } from '../schemas';

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

export function asyncApiDocument(options: { version: string; url?: string }) {
  const actions = wsRoutes.filter((r) => 'frame' in r && r.frame);
  const messages: Record<string, unknown> = {};
  for (const route of actions) {
    messages[route.routeKey] = { name: route.routeKey, summary: route.summary, payload: jsonSchema((route as { frame: z.ZodType }).frame, 'input') };
  }
  for (const [type, schema] of Object.entries(ServerEvents)) {
    messages[`event.${type}`] = { name: type, payload: jsonSchema(schema, 'output') };
  }
  const ref = (name: string) => ({ $ref: `#/channels/chat/messages/${name}` });
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Serverless chat WebSocket API',
      version: options.version,
      description:
        'Connect with `?token=<JWT>` (a bad token refuses the upgrade with 401). Client frames are JSON with an `action` and an optional `requestId`; each is answered with `ack`, `pong` or `error` carrying that `requestId`. Events reach every open connection of every participant (SPEC §6).',
    },
    ...(options.url ? { servers: { production: { host: new URL(options.url).host, pathname: new URL(options.url).pathname, protocol: new URL(options.url).protocol.replace(':', '') } } } : {}),
    channels: { chat: { address: '/', messages } },
    operations: {
      ...Object.fromEntries(actions.map((r) => [r.routeKey, { action: 'send', channel: { $ref: '#/channels/chat' }, summary: r.summary, messages: [ref(r.routeKey)] }])),
      receiveEvents: { action: 'receive', channel: { $ref: '#/channels/chat' }, messages: Object.keys(ServerEvents).map((t) => ref(`event.${t}`)) },
    },
  };
}
