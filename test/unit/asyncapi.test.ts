import { describe, expect, it } from 'vitest';
import { asyncApiDocument } from '../../functions/docs/asyncapi';
import { wsRoutes } from '../../functions/routes';
import { ServerEvents } from '../../functions/schemas';

describe('AsyncAPI document', () => {
  const doc = asyncApiDocument({ version: '1.2.3', url: 'wss://abc.execute-api.us-east-1.amazonaws.com/prod' });

  it('documents every client action of the route table and every server event', () => {
    const actions = wsRoutes.filter((r) => !r.routeKey.startsWith('$')).map((r) => r.routeKey);
    expect(Object.keys(doc.operations).filter((k) => k !== 'receiveEvents').sort()).toEqual(actions.sort());
    const events = (doc.operations.receiveEvents as { messages: { $ref: string }[] }).messages.map((m) => m.$ref.split('/').pop());
    expect(events.sort()).toEqual(Object.keys(ServerEvents).map((t) => `event.${t}`).sort());
    for (const action of actions) expect((doc.channels.chat.messages[action] as { payload: { properties: object } }).payload.properties).toHaveProperty('action');
  });

  it('points at the stage', () => {
    expect(doc).toMatchObject({ asyncapi: '3.0.0', servers: { production: { host: 'abc.execute-api.us-east-1.amazonaws.com', pathname: '/prod', protocol: 'wss' } } });
  });
});
