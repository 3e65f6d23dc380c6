import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../functions/docs/openapi';
import { httpRoutes } from '../../functions/routes';

describe('OpenAPI document', () => {
  const doc = openApiDocument({ version: '1.2.3', serverUrl: 'https://api.example.com' });

  it('documents every route of the table, so a route cannot exist without its documentation', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(httpRoutes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('describes parameters, bodies, responses and security from the schemas', () => {
    expect(doc).toMatchObject({ openapi: '3.1.0', info: { version: '1.2.3' }, servers: [{ url: 'https://api.example.com' }] });
    const send = doc.paths['/v1/chats/{chatId}/messages'].post as any;
    expect(send.operationId).toBe('sendMessage');
    expect(send.security).toEqual([{ bearer: [] }]);
    expect(send.parameters).toContainEqual(expect.objectContaining({ name: 'chatId', in: 'path', required: true }));
    expect(send.requestBody.content['application/json'].schema.properties).toHaveProperty('clientMessageId');
    expect(send.responses[201].content['application/json'].schema.properties).toHaveProperty('message');
    expect(send.responses[429].content).toHaveProperty('application/problem+json');
    const list = doc.paths['/v1/chats/{chatId}/messages'].get as any;
    expect(list.parameters).toContainEqual(expect.objectContaining({ name: 'limit', in: 'query', required: false, schema: expect.objectContaining({ maximum: 100 }) }));
    expect((doc.paths['/health'].get as any).security).toEqual([]);
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });
});
