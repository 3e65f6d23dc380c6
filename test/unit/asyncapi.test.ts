import { describe, expect, it } from 'vitest';
import { asyncApiDocument } from '../../functions/docs/asyncapi';
import { wsRoutes } from '../../functions/routes';
import { ErrorFrame, ServerEvents } from '../../functions/schemas';

describe('AsyncAPI document', () => {
  const doc = asyncApiDocument({ version: '1.2.3', url: 'wss://abc.execute-api.us-east-1.amazonaws.com/prod' });
  const operations = doc.operations as Record<string, any>;
  const messages = doc.channels.chat.messages as Record<string, any>;

  it('documents every client action of the route table and every server event', () => {
    const actions = wsRoutes.filter((r) => !r.routeKey.startsWith('$')).map((r) => r.routeKey);
    expect(Object.keys(operations).filter((k) => k !== 'receiveEvents').sort()).toEqual(actions.sort());
    const events = (operations.receiveEvents as { messages: { $ref: string }[] }).messages.map((m) => m.$ref.split('/').pop());
    expect(events.sort()).toEqual(Object.keys(ServerEvents).map((t) => `event.${t}`).sort());
    for (const action of actions) expect(messages[action].payload.properties).toHaveProperty('action');
  });

  it('documents each action\'s answers as its reply: its ack (or pong), the error frame, API Gateway\'s own', () => {
    const replies = (action: string) => operations[action].reply.messages.map((m: { $ref: string }) => m.$ref.split('/').pop());
    expect(replies('sendMessage')).toEqual(['sendMessage.ack', 'answer.error', 'answer.gateway']);
    expect(replies('ping')).toEqual(['ping.pong', 'answer.error', 'answer.gateway']);
    expect(Object.keys(messages['sendMessage.ack'].payload.properties)).toEqual(expect.arrayContaining(['type', 'requestId', 'message', 'replayed', 'chat']));
    // The error frame carries what real errors carry: the problem's code and detail, validation errors, a retry delay.
    expect(Object.keys(messages['answer.error'].payload.properties)).toEqual(expect.arrayContaining(['code', 'detail', 'message', 'errors', 'retryAfter']));
    expect(ErrorFrame.safeParse({ type: 'error', requestId: 'r', code: 'bad_request', detail: 'd', message: 'd', errors: [{ path: 'frame.chatId', message: 'x' }] }).success).toBe(true);
  });

  it('points at the stage, secured by ?token=', () => {
    expect(doc).toMatchObject({ asyncapi: '3.0.0', servers: { production: { host: 'abc.execute-api.us-east-1.amazonaws.com', pathname: '/prod', protocol: 'wss' } } });
    expect((doc.servers as any).production.security).toEqual([{ $ref: '#/components/securitySchemes/token' }]);
    expect(doc.components.securitySchemes.token).toMatchObject({ type: 'httpApiKey', name: 'token', in: 'query' });
  });

  it('names the local stack\'s server with ws:// and /ws', () => {
    const local = asyncApiDocument({ version: '1', url: 'ws://127.0.0.1:3000/ws' });
    expect(local.servers).toMatchObject({ local: { host: '127.0.0.1:3000', pathname: '/ws', protocol: 'ws' } });
  });
});
