import { describe, expect, it } from 'vitest';
import { httpResponses } from '../../functions/contract';
import { openApiDocument } from '../../functions/docs/openapi';
import { httpRoutes, type HttpRoute } from '../../functions/routes';
import { ApiGatewayError, Problem } from '../../functions/schemas';

describe('OpenAPI document', () => {
  const doc = openApiDocument({ version: '1.2.3', serverUrl: 'https://api.example.com' });
  const op = (path: string, method: string) => (doc.paths[path] as Record<string, any>)[method];

  it('documents every route of the table, so a route cannot exist without its documentation', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(httpRoutes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('describes parameters, bodies, responses and security from the schemas', () => {
    expect(doc).toMatchObject({ openapi: '3.1.0', info: { version: '1.2.3' }, servers: [{ url: 'https://api.example.com' }] });
    const send = op('/v1/chats/{chatId}/messages', 'post');
    expect(send.operationId).toBe('sendMessage');
    expect(send.security).toEqual([{ bearer: [] }]);
    expect(send.parameters).toContainEqual(expect.objectContaining({ name: 'chatId', in: 'path', required: true }));
    expect(send.requestBody.content['application/json'].schema.properties).toHaveProperty('clientMessageId');
    expect(send.responses[201].content['application/json'].schema.properties).toHaveProperty('message');
    expect(send.responses[429].content).toHaveProperty('application/problem+json');
    const list = op('/v1/chats/{chatId}/messages', 'get');
    expect(list.parameters).toContainEqual(expect.objectContaining({ name: 'limit', in: 'query', required: false, schema: expect.objectContaining({ maximum: 100 }) }));
    expect(op('/health', 'get').security).toEqual([]);
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('documents every status each route answers, exactly the route table\'s', () => {
    for (const route of httpRoutes as readonly HttpRoute[]) {
      expect(Object.keys(op(route.path, route.method.toLowerCase()).responses).map(Number), route.name).toEqual([...httpResponses(route).keys()]);
    }
    // The idempotent repeats answer 200 with the route's own body.
    for (const [path, method] of [
      ['/v1/chats', 'post'],
      ['/v1/chats/{chatId}/messages', 'post'],
      ['/v1/chats/support', 'post'],
      ['/v1/messages', 'post'],
    ]) {
      const responses = op(path!, method!).responses;
      expect(responses[200]?.content['application/json'].schema, `${method} ${path}`).toEqual(responses[201].content['application/json'].schema);
    }
    const send = op('/v1/chats/{chatId}/messages', 'post').responses;
    expect(send[409]).toMatchObject({ description: expect.stringContaining('clientMessageId'), headers: { 'Retry-After': expect.any(Object) } });
    expect(send[413].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ApiGatewayError' });
    expect(send[415].content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(send[503].content).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
      'application/json': { schema: { $ref: '#/components/schemas/ApiGatewayError' } },
    });
    expect(op('/v1/chats/{chatId}/attachments', 'post').responses[413].content).toHaveProperty('application/problem+json');
    expect(op('/v1/chats/{chatId}/participants/{userId}', 'delete').responses[204]).toEqual({ description: 'Success.' });
    expect(op('/health', 'get').responses[503].content['application/json'].schema.oneOf).toHaveLength(2);
    expect(op('/docs', 'get').responses[200].content).toHaveProperty(['text/html; charset=utf-8']);
    // Routes without a body take no 415; public routes no 401.
    expect(op('/v1/chats/{chatId}', 'get').responses).not.toHaveProperty('415');
    expect(op('/health', 'get').responses).not.toHaveProperty('401');
  });

  it('has a Problem schema that allows what real problems carry: instance, errors, retryAfter', () => {
    const problem = doc.components.schemas.Problem as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(problem.properties)).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'code', 'instance', 'errors', 'retryAfter']));
    expect(problem.required.sort()).toEqual(['code', 'detail', 'status', 'title', 'type']);
    const real = { type: 'urn:problem:chat:bad_request', title: 'Bad Request', status: 400, detail: 'Invalid body.', code: 'bad_request', instance: '/v1/chats', errors: [{ path: 'body.type', message: 'x' }], retryAfter: 3 };
    expect(Problem.safeParse(real).success).toBe(true);
    expect(ApiGatewayError.safeParse({ message: 'Service Unavailable' }).success).toBe(true);
  });
});
